"""Licensing's tasks (queue ``default``): ending the grants of ended offers, declining
licence requests left undecided past their deadline, and keeping the description
embeddings of lookalike screening current. Also what a worker does with the lookalike
model when it starts (connected in licensing/apps.py)."""

import logging
import os

from celery import shared_task
from django.conf import settings

from core.tasks import TRANSIENT_ERRORS
from licensing import services
from licensing.policy import lookalike

log = logging.getLogger(__name__)


@shared_task(
    name="licensing.grants_revoke_due",
    on_queue="default",
    acks_late=True,
    time_limit=600,
    soft_time_limit=580,
    expires=3000,
)
def grants_revoke_due() -> int:
    """End the grants of ended offers after their grace period; apply on_revoke."""
    return services.grants_revoke_due()


@shared_task(
    name="licensing.characters_embed",
    on_queue="default",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=5,
    time_limit=300,
    soft_time_limit=280,
    # Older than this, the sweep (below) will have embedded them anyway.
    expires=6 * 3600,
)
def characters_embed(character_ids: list[str]) -> int:
    """Embed these characters' descriptions where missing or stale (enqueued on commit
    by the services that write descriptions). Returns how many changed."""
    return services.character_embeddings_refresh(character_ids=character_ids)


@shared_task(
    name="licensing.embeddings_sweep",
    on_queue="default",
    acks_late=True,
    time_limit=1800,
    soft_time_limit=1780,
    expires=500,
)
def embeddings_sweep() -> int:
    """Embed whatever an enqueue missed (a broker outage, an expired task), in batches."""
    return services.character_embeddings_refresh_stale()


def lookalike_worker_init(sender=None, **kwargs) -> None:
    """``worker_init``, in the worker's main process before its pool starts. Prefork
    children only load the weights (``lookalike_process_init``); PyTorch is imported
    here, once, and inherited, so a child is up well within Celery's 4 s for a process
    to start. Other pools run tasks in this process: it loads the model itself."""
    if not settings.LOOKALIKE_PRELOAD:
        return
    pool = getattr(sender, "pool_cls", "prefork")
    pool_name = pool if isinstance(pool, str) else getattr(pool, "__module__", "")
    if "prefork" in pool_name:
        seconds = lookalike.import_runtime()
        log.info("lookalike runtime (PyTorch, sentence-transformers) imported in %.2f s", seconds)
    else:
        lookalike_process_init()


def lookalike_process_init(**kwargs) -> None:
    """``worker_process_init``: load the model in each worker process before its first
    task, so the first prompt screened does not wait for it. A failure is logged, not
    raised: the process still starts, and the first screen tries again."""
    if not settings.LOOKALIKE_PRELOAD:
        return
    try:
        seconds = lookalike.preload()
    except Exception:
        log.exception("could not preload the lookalike model")
        return
    log.info(
        "lookalike model ready in %.2f s (process %d; loading the weights took %.2f s)",
        seconds,
        os.getpid(),
        lookalike.load_seconds or 0.0,
    )


@shared_task(
    name="licensing.grants_approval_expire",
    on_queue="default",
    acks_late=True,
    time_limit=300,
    soft_time_limit=280,
    expires=240,
)
def grants_approval_expire() -> int:
    """Decline licence requests left undecided past their deadline (default deny)."""
    return services.grants_approval_expire()
