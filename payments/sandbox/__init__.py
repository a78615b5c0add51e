"""The payments sandbox: test mode for local runs, with no Stripe keys configured.

A tiny Stripe inside Cocreate. It answers the Stripe API calls the project makes
(``payments/stripe_gateway.py``) at ``/sandbox/stripe/v1/...``, in Stripe's JSON and
with Stripe's idempotency rules, and serves the pages a payer or a creator would see at
Stripe (a Checkout card form, a Connect onboarding form). Completing one posts a signed
event, shaped like Stripe's own, to the same webhook endpoint production uses.

Why an HTTP endpoint rather than a gateway seam: with it the production code path is
the production code path. stripe-python builds, sends, retries and parses every call,
the gateway passes its idempotency keys in headers, and the only thing test mode
changes is the key and the base address stripe-python is given (``mode.py``). Objects
the sandbox makes live in its own tables and its own transactions, as Stripe's live in
Stripe, so a caller that rolls back does not roll back "Stripe".

It is served only while no Stripe key is configured: with keys, every sandbox URL is a
404 and nothing here signs anything."""
