"""Lineage reads: ancestors and descendants come from one recursive query each, so a
chain 20 deep costs what a chain of one costs. Works are made as rows (nothing is
rendered): lineage reads only the parent links, statuses and publication times."""

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace import selectors
from marketplace.models import Work
from payments.selectors import work_split_lines
from tests.factories import UserFactory, WorkFactory

pytestmark = pytest.mark.django_db
START = timezone.now() - timedelta(days=1)


def _work(
    creator, *, title: str, parent: Work | None = None, minute: int = 0, status="published"
) -> Work:
    return WorkFactory(
        creator=creator,
        parent=parent,
        title=title,
        status=status,
        published_at=START + timedelta(minutes=minute),
    )


def _chain(length: int) -> list[Work]:
    """An original and ``length`` remixes, each of the one before, by different people."""
    works = [_work(UserFactory(), title="level 0")]
    for level in range(1, length + 1):
        works.append(_work(UserFactory(), title=f"level {level}", parent=works[-1], minute=level))
    return works


def test_ancestors_of_a_20_deep_chain_nearest_first_with_creators(django_assert_num_queries):
    # given: a chain 20 deep
    chain = _chain(20)
    tail = Work.objects.get(pk=chain[-1].pk)

    # when: one query, whatever the depth
    with django_assert_num_queries(1):
        ancestors = selectors.work_ancestors(work=tail)
        names = [str(a.creator) for a in ancestors]  # creators come with them

    # then
    assert ancestors == list(reversed(chain[:-1]))
    assert names == [str(w.creator) for w in reversed(chain[:-1])]
    assert ancestors[-1].parent_id is None


def test_ancestors_query_count_is_the_same_at_depth_2_and_20(django_assert_num_queries):
    short, deep = _chain(2), _chain(20)
    for chain in (short, deep):
        with django_assert_num_queries(2):  # the works, then their licences
            found = selectors.work_ancestors(work=chain[-1], with_licenses=True)
            assert [list(a.licenses.all()) for a in found] == [[]] * (len(chain) - 1)
    # an original has no ancestors and costs nothing
    with django_assert_num_queries(0):
        assert selectors.work_ancestors(work=deep[0]) == []


def test_ancestors_stop_at_twenty_levels():
    chain = _chain(25)
    ancestors = selectors.work_ancestors(work=chain[-1])
    assert ancestors == list(reversed(chain[-21:-1]))


def test_descendants_of_the_root_of_a_20_deep_chain_in_one_query(django_assert_num_queries):
    chain = _chain(20)
    with django_assert_num_queries(1):
        descendants = selectors.work_descendants(work=chain[0])
        names = [str(d.creator) for d in descendants]
    assert descendants == chain[1:]
    assert names == [str(w.creator) for w in chain[1:]]


def test_descendants_breadth_first_hide_unpublished_subtrees_and_respect_the_limit(
    django_assert_num_queries,
):
    # given: a root with three remixes; the first has two of its own (published later
    # than the root's third remix), the second is delisted with a published child
    someone = UserFactory()
    root = _work(someone, title="root")
    a = _work(someone, title="a", parent=root, minute=1)
    hidden = _work(someone, title="hidden", parent=root, minute=2, status="delisted")
    b = _work(someone, title="b", parent=root, minute=3)
    a2 = _work(someone, title="a2", parent=a, minute=9)
    a1 = _work(someone, title="a1", parent=a, minute=5)
    _work(someone, title="under hidden", parent=hidden, minute=4)
    a1x = _work(someone, title="a1x", parent=a1, minute=6)

    # when / then: level by level, each by publication time; the delisted remix and
    # what hangs under it are left out
    with django_assert_num_queries(1):
        assert selectors.work_descendants(work=root) == [a, b, a1, a2, a1x]
    # a limit cuts the breadth-first order
    assert selectors.work_descendants(work=root, limit=3) == [a, b, a1]
    assert selectors.work_descendants(work=a1x) == []


def test_split_of_a_20_deep_remix_reads_lineage_in_a_constant_number_of_queries(
    django_assert_num_queries,
):
    # given: chains 3 and 20 deep
    short, deep = _chain(3), _chain(20)

    # when: the split of each tail
    counts = []
    for chain in (short, deep):
        tail = Work.objects.select_related("creator").get(pk=chain[-1].pk)
        with django_assert_num_queries(3) as captured:
            lines = work_split_lines(work=tail)
        counts.append(len(captured.captured_queries))
        # then: every ancestor's creator has an upstream share
        upstream = [line for line in lines if line.role == "upstream_creator"]
        assert len(upstream) == len(chain) - 1
    assert counts == [3, 3]
