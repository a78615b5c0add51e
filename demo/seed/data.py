"""What the demo marketplace contains, as data: people, studios, characters, licences,
works and money. The modules beside this one turn it into rows through each app's
services. Keys (``mika``, ``hoshi``, ``m1``) only link the tables below together."""

from __future__ import annotations

from dataclasses import dataclass, field

DEMO_PASSWORD = "cocreate-demo"  # noqa: S105 - documented demo login, seed data only


@dataclass(frozen=True)
class Person:
    key: str
    email: str
    name: str
    role: str  # how the login table describes them
    try_first: str
    staff: bool = False


@dataclass(frozen=True)
class Studio:
    key: str
    name: str
    owner: str  # a Person key
    description: str
    website: str


@dataclass(frozen=True)
class CharacterSpec:
    name: str
    owner: str  # a Studio key, or a Person key for a likeness
    preset: str  # licensing.terms.PRESETS
    colours: tuple[str, str]
    aliases: tuple[str, ...] = ()
    franchise: str = ""
    description: str = ""
    likeness: bool = False
    look: str = ""  # seed.art.LOOKS: how its reference image tells it apart


@dataclass(frozen=True)
class WorkSpec:
    key: str
    creator: str  # a Person key
    prompt: str
    characters: tuple[str, ...] = ()  # character names the request asks for
    parent: str | None = None  # a WorkSpec key: this work remixes it
    commercial: bool = False
    approve: bool = True  # for a likeness offered per work: does its owner approve it?


@dataclass(frozen=True)
class Tip:
    external_id: str
    work: str
    payer: str
    amount: int  # USD cents


@dataclass(frozen=True)
class AdRow:
    external_id: str
    work: str
    amount: int  # USD cents
    occurred_on: str  # ISO date


@dataclass(frozen=True)
class ClaimSpec:
    work: str
    character: str
    by: str
    reason: str
    policy: str
    evidence: str
    dispute: str = field(default="")


PEOPLE: tuple[Person, ...] = (
    Person(
        "staff",
        "staff@cocreate.test",
        "Cocreate Staff",
        "staff",
        "/accounts/2fa/: activate an authenticator app (the admin needs it), "
        "then /admin/: the open dispute, the paid payout and its ledger entries; "
        "/staff/likeness-reviews/: Priya's consent video waits for review",
        staff=True,
    ),
    Person(
        "hoshi_owner",
        "studio@cocreate.test",
        "Yui Hoshino (Hoshi Studio)",
        "studio: Hoshi Studio",
        "/dashboard/claims/: your claim on Mika's Captain Nami video is disputed; release "
        "or uphold it",
    ),
    Person(
        "sakura_owner",
        "sakura@cocreate.test",
        "Haruto Sato (Studio Sakura)",
        "studio: Studio Sakura",
        "/dashboard/: 桜ハナ's offer and usage; edit the offer to publish version 2",
    ),
    Person(
        "moonlit_owner",
        "moonlit@cocreate.test",
        "Dana Reyes (Moonlit Works)",
        "studio: Moonlit Works",
        "/catalog/?q=Pip: Pip-9's page, then the remix chain Pip-9 earns from",
    ),
    Person(
        "aiko",
        "aiko@cocreate.test",
        "Aiko Tanaka",
        "likeness owner: Aiko Tanaka (people I approve)",
        "/dashboard/approvals/: a video of you waits for your review",
    ),
    Person(
        "leo",
        "leo@cocreate.test",
        "Leo Martins",
        "likeness owner: Leo Martins (public)",
        "/works/mine/: the videos Jun and Priya made with your likeness (you can delete any)",
    ),
    Person(
        "mika",
        "creator@cocreate.test",
        "Mika Ito",
        "creator: Mika Ito",
        "/earnings/: the paid payout and your statement; then the Captain Nami video you "
        "disputed (/works/mine/)",
    ),
    Person(
        "jun",
        "jun@cocreate.test",
        "Jun Park",
        "creator: Jun Park",
        "/feed/: press Remix on a video, then /studio/ checks the terms and the split",
    ),
    Person(
        "priya",
        "priya@cocreate.test",
        "Priya Nair",
        "creator: Priya Nair",
        "/works/mine/: your remix of a remix and its lineage; your video of Aiko is pending",
    ),
    Person(
        "viewer",
        "viewer@cocreate.test",
        "Ren (viewer)",
        "viewer",
        "/feed/: swipe through the videos (arrow keys work too)",
    ),
)

STUDIOS: tuple[Studio, ...] = (
    Studio(
        "hoshi",
        "Hoshi Studio",
        "hoshi_owner",
        "An animation studio in Tokyo, home of Hoshi-chan.",
        "https://hoshi.example",
    ),
    Studio(
        "sakura",
        "Studio Sakura",
        "sakura_owner",
        "スタジオさくら: an animation studio in Kyoto, home of 桜ハナ, 月影レン and 雪丸.",
        "https://sakura.example",
    ),
    Studio(
        "moonlit",
        "Moonlit Works",
        "moonlit_owner",
        "An independent studio in Lisbon making bedtime adventures.",
        "https://moonlit.example",
    ),
)

# At least one character per preset; every character gets a drawn reference image.
CHARACTERS: tuple[CharacterSpec, ...] = (
    CharacterSpec(
        "Hoshi-chan",
        "hoshi",
        "commercial_remix",
        ("#5b3df5", "#ffd166"),
        ("ほしちゃん", "ホシちゃん", "星ちゃん"),
        "Star Diary",
        "A small glowing star girl with golden cheeks and a violet cape, who fell from the "
        "night sky and paints it with falling stars.",
        look="star",
    ),
    CharacterSpec(
        "Kuro Neko",
        "hoshi",
        "non_commercial_remix",
        ("#22223b", "#f2e9e4"),
        ("クロネコ", "黒猫"),
        "Star Diary",
        "A sleepy black cat with a cream bib and white paws who naps on sunny windowsills "
        "and sails paper boats.",
        look="ears",
    ),
    CharacterSpec(
        "Captain Nami",
        "hoshi",
        "commercial_use",
        ("#0077b6", "#caf0f8"),
        ("Nami", "ナミ船長"),
        "Harbour Lights",
        "A young sea captain in a blue coat and a white captain's cap who steers her ship "
        "through lantern-lit harbours.",
        look="cap",
    ),
    CharacterSpec(
        "Tanuki Taro",
        "hoshi",
        "non_commercial_remix",
        ("#6f4e37", "#f4d35e"),
        ("たぬき太郎", "狸太郎"),
        "Star Diary",
        "A round brown tanuki with a straw hat and a big striped tail, who loves summer "
        "fairs and towers of dango.",
        look="round_ears",
    ),
    CharacterSpec(
        "桜ハナ",
        "sakura",
        "commercial_remix",
        ("#ff8fab", "#fff0f3"),
        ("Sakura Hana", "さくらハナ", "ハナちゃん"),
        "桜日和 (Sakura Biyori)",
        "A cheerful florist's apprentice who talks to cherry trees.",
        look="bun",
    ),
    CharacterSpec(
        "月影レン",
        "sakura",
        "commercial_use",
        ("#1d3557", "#a8dadc"),
        ("Tsukikage Ren", "つきかげレン"),
        "桜日和 (Sakura Biyori)",
        "A quiet flute player who only appears by moonlight.",
        look="hair",
    ),
    CharacterSpec(
        "雪丸",
        "sakura",
        "non_commercial_remix",
        ("#caf0f8", "#ffffff"),
        ("Yukimaru", "ゆきまる"),
        "桜日和 (Sakura Biyori)",
        "A snow fox cub, Hana's mischievous friend.",
        look="ears",
    ),
    CharacterSpec(
        "Pip-9",
        "moonlit",
        "commercial_remix",
        ("#2a9d8f", "#e9c46a"),
        ("PIP-9", "Pip the robot"),
        "Tin Garden",
        "A small gardening robot who collects lost things.",
        look="antenna",
    ),
    CharacterSpec(
        "Zora Vance",
        "moonlit",
        "commercial_use",
        ("#3c096c", "#ff9e00"),
        ("Commander Zora",),
        "Starward",
        "Commander of the survey ship Starward.",
        look="cap",
    ),
    CharacterSpec(
        "Sir Bramble",
        "moonlit",
        "non_commercial_remix",
        ("#386641", "#f2e8cf"),
        ("Bramble the hedgehog",),
        "Tin Garden",
        "A hedgehog knight sworn to protect the garden.",
        look="spikes",
    ),
    CharacterSpec(
        "Aiko Tanaka",
        "aiko",
        "likeness_approved",
        ("#e76f51", "#f4a261"),
        ("田中愛子", "あいこ"),
        description="My own likeness, for people I approve.",
        likeness=True,
        look="hair",
    ),
    CharacterSpec(
        "Leo Martins",
        "leo",
        "commercial_remix",
        ("#264653", "#e76f51"),
        ("レオ・マーティンス",),
        description="My likeness: anyone may use and remix it, and I share in what it earns.",
        likeness=True,
        look="hair",
    ),
)

# A likeness registered by a creator whose consent video still waits for staff: a draft
# (no offer, its name screens no one) until approved at /staff/likeness-reviews/.
PENDING_LIKENESS = CharacterSpec(
    "Priya Nair",
    "priya",
    "",
    ("#6d597a", "#eaac8b"),
    ("プリヤ",),
    description="My own likeness: waiting for staff to approve my consent video.",
    likeness=True,
    look="hair",
)

# Who holds which licence. Paid offers go through Checkout; Aiko approves her licensee.
GRANTS: dict[str, tuple[str, ...]] = {
    # Hoshi Studio licenses its own Hoshi-chan for the storyline's opening video.
    "hoshi_owner": ("Hoshi-chan",),
    "mika": (
        "Hoshi-chan",
        "Kuro Neko",
        "Captain Nami",
        "Tanuki Taro",
        "桜ハナ",
        "Sir Bramble",
        "Pip-9",
    ),
    "jun": ("Hoshi-chan", "Kuro Neko", "桜ハナ", "雪丸", "Pip-9", "Zora Vance", "Leo Martins"),
    "priya": (
        "Hoshi-chan",
        "桜ハナ",
        "Pip-9",
        "月影レン",
        "Aiko Tanaka",
        "Tanuki Taro",
        "Leo Martins",
    ),
}

# Rendered in this order (a parent before its remixes). m1 → j1 → p1 → m9 is the
# remix chain, four works deep. Prompts name the Japanese characters by their romaji
# aliases (screening maps them to the character): the caption burned into the video then
# renders with the Latin fonts every machine has, CJK fonts or not.
WORKS: tuple[WorkSpec, ...] = (
    WorkSpec(
        "m1",
        "mika",
        "Hoshi-chan paints the night sky with falling stars",
        ("Hoshi-chan",),
        None,
        True,
    ),
    WorkSpec(
        "m2",
        "mika",
        "Kuro Neko naps on a sunny windowsill while the city hums below",
        ("Kuro Neko",),
    ),
    WorkSpec(
        "m3",
        "mika",
        "Hoshi-chan and Kuro Neko sail paper boats down a rainy street",
        ("Hoshi-chan", "Kuro Neko"),
    ),
    WorkSpec(
        "m4",
        "mika",
        "Captain Nami steers her ship through a lantern-lit harbour festival",
        ("Captain Nami",),
        None,
        True,
    ),
    WorkSpec(
        "m5",
        "mika",
        "Captain Nami charts a course past glowing jellyfish at dawn",
        ("Captain Nami",),
        None,
        True,
    ),
    WorkSpec(
        "m6",
        "mika",
        "Tanuki Taro balances a tower of dango at the summer fair",
        ("Tanuki Taro",),
    ),
    WorkSpec(
        "m7", "mika", "Sakura Hana dances under cherry blossoms as the petals swirl", ("桜ハナ",)
    ),
    WorkSpec(
        "m8", "mika", "Sir Bramble keeps watch over a tiny castle made of acorns", ("Sir Bramble",)
    ),
    WorkSpec(
        "j1",
        "jun",
        "Remix: Sakura Hana catches Hoshi-chan's falling stars over Tokyo Bay",
        ("桜ハナ",),
        "m1",
        True,
    ),
    WorkSpec("j2", "jun", "Yukimaru slides down a moonlit hill of fresh snow", ("雪丸",)),
    WorkSpec(
        "j3",
        "jun",
        "Pip-9 waters a rooftop garden and waves at passing pigeons",
        ("Pip-9",),
        None,
        True,
    ),
    WorkSpec(
        "j4",
        "jun",
        "Zora Vance guides the Starward through a shimmering nebula",
        ("Zora Vance",),
        None,
        True,
    ),
    WorkSpec(
        "j5", "jun", "Leo Martins skateboards through a neon arcade", ("Leo Martins",), None, True
    ),
    WorkSpec(
        "j6", "jun", "Kuro Neko and Yukimaru build a snow lantern together", ("Kuro Neko", "雪丸")
    ),
    WorkSpec(
        "j7",
        "jun",
        "Remix: the paper boats reach the sea, where Pip-9 waves from a lighthouse",
        ("Pip-9",),
        "m3",
    ),
    WorkSpec(
        "p1",
        "priya",
        "Remix: Pip-9 joins Hoshi-chan and Sakura Hana for a rooftop stargazing party",
        ("Pip-9",),
        "j1",
        True,
    ),
    WorkSpec(
        "p2",
        "priya",
        "Tsukikage Ren plays a flute melody on a moonlit bridge",
        ("月影レン",),
        None,
        True,
    ),
    WorkSpec("p3", "priya", "Aiko Tanaka waves hello from a flower market", ("Aiko Tanaka",)),
    WorkSpec(
        "p4",
        "priya",
        "Aiko Tanaka ties a paper wish to a bamboo branch",
        ("Aiko Tanaka",),
        approve=False,  # left in Aiko's approval queue
    ),
    WorkSpec(
        "p5",
        "priya",
        "Leo Martins and Tanuki Taro share a bowl of ramen at a night market",
        ("Leo Martins", "Tanuki Taro"),
    ),
    WorkSpec(
        "p6",
        "priya",
        "Sakura Hana and Pip-9 paint a mural of the whole neighbourhood",
        ("桜ハナ", "Pip-9"),
        None,
        True,
    ),
    WorkSpec(
        "m9",
        "mika",
        "Remix: Hoshi-chan turns the stargazing party into a sunrise parade",
        ("Hoshi-chan",),
        "p1",
        True,
    ),
)

CLAIM = ClaimSpec(
    work="m4",
    character="Captain Nami",
    by="hoshi_owner",
    reason="terms_breach",
    policy="monetize",
    evidence="The caption reads like an official Harbour Lights trailer; viewers may take "
    "this fan video for studio content.",
    dispute="It is a fan video under my commercial licence, credited to Hoshi Studio and "
    "labelled AI-generated, as the terms require.",
)

# Viewer tips through Stripe, before the payout, on commercial works only (a work with a
# non-commercial licence, such as Kuro Neko's, takes none). Stable external ids: a re-run
# finds them.
TIPS: tuple[Tip, ...] = (
    Tip("pi_demo_tip_01", "m1", "viewer", 1_000),
    Tip("pi_demo_tip_02", "m5", "viewer", 500),
    Tip("pi_demo_tip_03", "j1", "viewer", 800),
    Tip("pi_demo_tip_04", "p1", "viewer", 1_200),
    Tip("pi_demo_tip_05", "j5", "viewer", 300),
    Tip("pi_demo_tip_06", "m7", "leo", 500),
    Tip("pi_demo_tip_07", "p2", "viewer", 400),
    Tip("pi_demo_tip_08", "m4", "viewer", 700),  # disputed: held in escrow
    Tip("pi_demo_tip_09", "m9", "jun", 600),
    Tip("pi_demo_tip_10", "p6", "viewer", 250),
)

# Ad revenue imported by staff (the import_revenue CSV path).
AD_REVENUE: tuple[AdRow, ...] = (
    AdRow("demo-ads-2026-01-m1", "m1", 640, "2026-01-31"),
    AdRow("demo-ads-2026-01-m5", "m5", 420, "2026-01-31"),
    AdRow("demo-ads-2026-01-j1", "j1", 910, "2026-01-31"),
    AdRow("demo-ads-2026-01-j3", "j3", 180, "2026-01-31"),
    AdRow("demo-ads-2026-01-j4", "j4", 350, "2026-01-31"),
    AdRow("demo-ads-2026-01-p1", "p1", 1_150, "2026-01-31"),
    AdRow("demo-ads-2026-01-p2", "p2", 275, "2026-01-31"),
    AdRow("demo-ads-2026-01-p6", "p6", 390, "2026-01-31"),
    AdRow("demo-ads-2026-01-m9", "m9", 520, "2026-01-31"),
)

# Mika connects a bank account and is paid out; this tip arrives after the payout and is
# kept below PAYOUT_THRESHOLD_MINOR so that beat does not try a real transfer for it.
PAYEE = "mika"
TIP_AFTER_PAYOUT = Tip("pi_demo_tip_11", "m7", "viewer", 300)


@dataclass(frozen=True)
class StorylineSpec:
    """A studio's storyline: its opening video (made by the studio's owner) and the
    creators' takes of it, each a remix of the opening; ``likes`` are viewers' likes
    (Person keys per take key), ``featured`` the takes the studio features."""

    title: str
    owner: str  # a Studio key
    premise: str
    cast: tuple[str, ...]  # character names: each under its (one) published offer
    opening: WorkSpec
    takes: tuple[WorkSpec, ...]
    likes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Viewers' comments per take key: (Person key, text), oldest first.
    comments: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    featured: tuple[str, ...] = ()
    join_policy: str = "licensed"
    max_take_s: int = 8
    days_open: int = 30


STORYLINE = StorylineSpec(
    title="The night the stars fell",
    owner="hoshi",
    premise="Hoshi-chan wakes to find every star in the sky has fallen into the harbour. "
    "Who helps her put them back, and how?",
    cast=("Hoshi-chan",),
    opening=WorkSpec(
        "s0",
        "hoshi_owner",
        "Hoshi-chan finds the harbour glowing with fallen stars",
        ("Hoshi-chan",),
    ),
    takes=(
        WorkSpec(
            "s1",
            "mika",
            "Hoshi-chan and Kuro Neko fish the fallen stars out of the harbour with a net",
            ("Hoshi-chan", "Kuro Neko"),
            "s0",
        ),
        WorkSpec(
            "s2",
            "jun",
            "Hoshi-chan and Pip-9 launch the stars back into the sky with a rocket",
            ("Hoshi-chan", "Pip-9"),
            "s0",
        ),
        WorkSpec(
            "s3",
            "priya",
            "Hoshi-chan hangs the fallen stars on a tall pine like lanterns",
            ("Hoshi-chan",),
            "s0",
        ),
    ),
    likes={"s1": ("viewer", "jun", "priya"), "s2": ("viewer",), "s3": ("viewer", "mika")},
    comments={
        "s3": (
            ("viewer", "The pine full of stars is the prettiest take so far."),
            ("jun", "Lanterns! Why didn't I think of that. Remixing this next."),
        ),
        "s1": (("priya", "Kuro Neko holding the net made me laugh."),),
    },
    featured=("s3",),
)
