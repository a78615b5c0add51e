"""The seed's progress lines (demo/seed/progress.py); the whole seed's output is
checked in test_seed_demo.py."""

from demo.seed.progress import Progress


def test_each_says_n_of_n_before_each_item():
    said: list[str] = []
    progress = Progress(said.append)

    made = []
    for item in progress.each("Rendering demo videos", ["a", "b", "c"]):
        made.append((item, said[-1]))

    assert made == [
        ("a", "Rendering demo videos: 1 of 3"),
        ("b", "Rendering demo videos: 2 of 3"),
        ("c", "Rendering demo videos: 3 of 3"),
    ]


def test_a_stage_is_said_as_it_starts_and_no_reporter_means_silence():
    said: list[str] = []
    Progress(said.append).stage("Paying out a creator")
    assert said == ["Paying out a creator…"]

    assert list(Progress().each("Anything", [1, 2])) == [1, 2]
