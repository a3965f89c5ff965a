"""A deterministic synthetic conversational-memory dataset: long multi-session chats between two named people,
with dated sessions, facts stated once, and questions asked later with turn-level evidence labels.

    data = generate("dev", conversations=4)
    data.conversations[0].sessions[0].turns[0]     # Turn(id='dev-00:s01:t001', speaker='Maya', text='Hey Tom! ...')
    data.conversations[0].questions[0]             # Question(kind='temporal', text='When did ...', evidence=(...))

The generator models what makes conversation memory hard, not what makes one retriever win:

- facts are stated once, in the first person ("I", "my sister"), so the speaker's name is rarely in the turn;
- answers arrive in the turn after a question ("How did the hike go?" / "We made it to Eagle Ridge!"), and
  news about a third party is told with pronouns ("She got into the nursing program") two turns after the
  name was said;
- times are relative to the session date ("last Saturday", "two weeks ago", "next month");
- every activity, purchase or trip also happens to the other speaker, to third parties, or to the same person
  in another month, so the words of a question match several turns;
- multi-hop questions need two turns, often from different sessions (a pet introduced once, its antics later);
- paraphrase questions share almost no words with the evidence ("What pastime has Maya taken up?").

Splits: `dev` (for tuning) and `test` (for reporting) use disjoint seeds, and a third of every template list
(phrasings of statements and of questions) is used by the test split only, so tuning on dev cannot fit the
wording of test.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal, TypeVar

Split = Literal["dev", "test"]
QuestionKind = Literal["single-hop", "multi-hop", "temporal", "paraphrase"]
QUESTION_KINDS: tuple[QuestionKind, ...] = ("single-hop", "multi-hop", "temporal", "paraphrase")
SPLITS: tuple[Split, ...] = ("dev", "test")
T = TypeVar("T")


@dataclass(frozen=True)
class Turn:
    id: str
    session: int
    index: int
    speaker: str
    text: str


@dataclass(frozen=True)
class Session:
    index: int
    when: datetime
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class Question:
    id: str
    kind: QuestionKind
    text: str
    answer: str
    evidence: tuple[str, ...]
    """Ids of the turns that hold the answer; a multi-hop question needs all of them."""


@dataclass(frozen=True)
class Conversation:
    id: str
    speakers: tuple[str, str]
    sessions: tuple[Session, ...]
    questions: tuple[Question, ...]

    @property
    def turns(self) -> list[Turn]:
        return [turn for session in self.sessions for turn in session.turns]

    def session_of(self, turn: Turn) -> Session:
        return self.sessions[turn.session - 1]


@dataclass(frozen=True)
class Dataset:
    split: str
    """"dev" or "test" when generated here; "locomo" when read from LoCoMo's file (`locomo.py`)."""
    conversations: tuple[Conversation, ...]

    @property
    def turns(self) -> int:
        return sum(len(conversation.turns) for conversation in self.conversations)

    @property
    def questions(self) -> int:
        return sum(len(conversation.questions) for conversation in self.conversations)


def generate(split: Split, conversations: int = 10, *, sessions: int = 24, seed: int = 0) -> Dataset:
    """`conversations` chats of `sessions` sessions each (about 25 turns a session); same arguments, same data."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if sessions < 4:
        raise ValueError(
            f"sessions must be at least 4 (facts told in one session are followed up in a later one), got {sessions}"
        )
    return Dataset(
        split,
        tuple(_Conversation(split, number, sessions, seed).build() for number in range(conversations)),
    )


# ---------------------------------------------------------------------------------------------------- vocabulary

_PEOPLE = [
    ("Maya", "f"),
    ("Tom", "m"),
    ("Priya", "f"),
    ("Daniel", "m"),
    ("Sofia", "f"),
    ("Marcus", "m"),
    ("Hannah", "f"),
    ("Luis", "m"),
    ("Aiko", "f"),
    ("Ethan", "m"),
    ("Chloe", "f"),
    ("Omar", "m"),
    ("Grace", "f"),
    ("Jonah", "m"),
    ("Nadia", "f"),
    ("Felix", "m"),
    ("Leah", "f"),
    ("Ravi", "m"),
    ("Iris", "f"),
    ("Caleb", "m"),
    ("Zoe", "f"),
    ("Mateo", "m"),
    ("Elena", "f"),
    ("Sam", "m"),
    ("Amara", "f"),
    ("Kenji", "m"),
    ("Ruth", "f"),
    ("Victor", "m"),
    ("Tessa", "f"),
    ("Hugo", "m"),
    ("Julia", "f"),
    ("Andre", "m"),
    ("Mina", "f"),
    ("Oliver", "m"),
    ("Freya", "f"),
    ("Isaac", "m"),
]
_OTHERS = [
    ("Dana", "f"),
    ("Keisha", "f"),
    ("Rosa", "f"),
    ("Lena", "f"),
    ("Bea", "f"),
    ("Joy", "f"),
    ("Nora", "f"),
    ("Carmen", "f"),
    ("Yuki", "f"),
    ("Ingrid", "f"),
    ("Fatima", "f"),
    ("Paula", "f"),
    ("Vera", "f"),
    ("Marco", "m"),
    ("Raj", "m"),
    ("Theo", "m"),
    ("Dmitri", "m"),
    ("Kofi", "m"),
    ("Pete", "m"),
    ("Leon", "m"),
    ("Arjun", "m"),
    ("Gus", "m"),
    ("Ivan", "m"),
    ("Wes", "m"),
    ("Emil", "m"),
    ("Bruno", "m"),
    ("Tariq", "m"),
]
_RELATIONS = {
    "f": ["sister", "cousin", "best friend", "coworker", "neighbour", "roommate", "aunt", "old college friend"],
    "m": ["brother", "cousin", "best friend", "coworker", "neighbour", "roommate", "uncle", "old college friend"],
}
_PRONOUNS = {"f": ("she", "her", "her"), "m": ("he", "him", "his")}
_CITIES = [
    "Lisbon",
    "Denver",
    "Montreal",
    "Osaka",
    "Portland",
    "Edinburgh",
    "Austin",
    "Melbourne",
    "Vienna",
    "Nashville",
    "Seville",
    "Vancouver",
    "Boston",
    "Prague",
    "Tucson",
    "Copenhagen",
    "Savannah",
    "Krakow",
]
_COMPANIES = [
    "Hollis & Crane",
    "Brightline Studios",
    "Nimbus Health",
    "Fernwood Labs",
    "Quarry Analytics",
    "Bluefin Logistics",
    "Saltmarsh Media",
    "Orchard Robotics",
    "Kestrel Bank",
    "Tidewater Games",
]
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@dataclass(frozen=True)
class _Activity:
    what_q: str
    """Asks for the place, with {who}; e.g. 'Where did {who} go hiking'."""
    when_q: str
    """Asks for the time, with {who} and {place}."""
    both_q: str
    """Asks for both places of someone who went twice, with {who}."""
    places: tuple[str, ...]
    statements: tuple[str, ...]
    """With {time}, {with_whom}, {place}; said by the one who did it."""
    answers: tuple[str, ...]
    """Replies to '{asked}' that name the place but not the activity."""
    asked: tuple[str, ...]
    """How the other speaker asks about it, with {time_asked}."""
    paraphrases: tuple[str, ...]
    """Questions about the place that avoid the statement's words; {who}, {companion}."""
    details: tuple[str, ...]


_ACTIVITIES = [
    _Activity(
        "Where did {who} go hiking",
        "When did {who} go hiking at {place}?",
        "Which two trails has {who} hiked?",
        ("Eagle Ridge", "Bear Creek Canyon", "the Skyline Trail", "Pinecrest Lake", "Cedar Falls", "Mount Ashby"),
        (
            "{time} I went hiking at {place} {with_whom}.",
            "Went hiking {time} — {place}, {with_whom}.",
            "{time} {with_whom_front} and I hiked up to {place}.",
        ),
        (
            "We did! Made it all the way to {place} before the fog rolled in.",
            "Yes, finally — {place}. My legs are still sore.",
            "We ended up doing {place}, the long loop.",
        ),
        (
            "Didn't you want to go hiking {time_asked}? How did it go?",
            "So did the hike happen {time_asked}?",
            "How was the hike {time_asked}?",
        ),
        (
            "Which trail did {who} walk with {companion}?",
            "Where did {who} trek to with {companion}?",
            "What outdoor spot did {who} explore on foot with {companion}?",
        ),
        (
            "We saw a family of deer near the top.",
            "The wildflowers were out everywhere.",
            "I forgot my water, rookie mistake.",
        ),
    ),
    _Activity(
        "Where did {who} go camping",
        "When did {who} go camping at {place}?",
        "Which two places has {who} camped at?",
        ("Lost Lake", "Redwood Hollow", "Juniper Flats", "Silver Bay", "Moose Point", "Hidden Valley"),
        (
            "{time} I went camping at {place} {with_whom}.",
            "Just got back from camping at {place} {with_whom} — that was {time}.",
            "{time} {with_whom_front} and I camped out at {place}.",
        ),
        (
            "It was perfect, we pitched the tent right by the water at {place}.",
            "So good. {place} at night is full of stars.",
            "We went up to {place}, it only rained once.",
        ),
        (
            "Weren't you going camping {time_asked}? Where did you end up?",
            "How was the camping trip {time_asked}?",
            "Did the camping trip {time_asked} happen?",
        ),
        (
            "Where did {who} sleep in a tent with {companion}?",
            "Which place did {who} spend nights outdoors at with {companion}?",
            "Where did {who} rough it under the stars with {companion}?",
        ),
        (
            "We roasted marshmallows until midnight.",
            "A raccoon stole our bread.",
            "I barely slept but it was worth it.",
        ),
    ),
    _Activity(
        "Which band did {who} see live",
        "When did {who} see {place} live?",
        "Which two bands has {who} seen live?",
        (
            "the Velvet Orchards",
            "Neon Harbor",
            "Marigold Static",
            "the Copper Lanterns",
            "Paper Satellites",
            "Low Tide Choir",
        ),
        (
            "{time} I saw {place} live {with_whom}!",
            "{time} {with_whom_front} and I went to see {place} play.",
            "Saw {place} {time} {with_whom}, best show of the year.",
        ),
        (
            "Amazing — {place} played for almost three hours.",
            "So loud! {place} closed with my favourite song.",
            "We got to the front row for {place}.",
        ),
        (
            "How was the show {time_asked}?",
            "Did you make it to that gig {time_asked}?",
            "So, the concert {time_asked} — worth it?",
        ),
        (
            "Which band did {who} watch perform with {companion}?",
            "What group did {who} catch on stage with {companion}?",
            "Which musicians did {who} go listen to with {companion}?",
        ),
        ("My ears are still ringing.", "I bought a tour shirt, obviously.", "The opening act was weird but fun."),
    ),
    _Activity(
        "What kind of cooking class did {who} take",
        "When did {who} take the {place} cooking class?",
        "Which two cooking classes has {who} taken?",
        ("Thai curry", "Neapolitan pizza", "dumpling", "Sichuan", "fresh pasta", "sushi"),
        (
            "{time} I took a {place} cooking class {with_whom}.",
            "{time} {with_whom_front} and I did a {place} cooking class.",
            "Did a {place} cooking class {time} {with_whom}, so much fun.",
        ),
        (
            "It was great! We learned to make {place} from scratch.",
            "Loved it, the {place} we made was better than any restaurant.",
            "Messy but fun — {place} is harder than it looks.",
        ),
        (
            "How was the class {time_asked}?",
            "Didn't you have that class thing {time_asked}? How was it?",
            "So what did they teach you at the class {time_asked}?",
        ),
        (
            "What cuisine did {who} learn to prepare with {companion}?",
            "Which dish did {who} get a lesson in making with {companion}?",
            "What food did {who} study how to make with {companion}?",
        ),
        ("The chef was hilarious.", "I burned my thumb a little.", "We ate everything we made."),
    ),
    _Activity(
        "Which exhibit did {who} see",
        "When did {who} see {place}?",
        "Which two exhibits has {who} seen?",
        (
            "the Frida Kahlo exhibit",
            "the dinosaur hall",
            "a Hokusai print show",
            "the glass art exhibit",
            "the space gallery",
            "the photography biennial",
        ),
        (
            "{time} I went to see {place} {with_whom}.",
            "{time} {with_whom_front} and I checked out {place} at the museum.",
            "Finally saw {place} {time} {with_whom}.",
        ),
        (
            "Really good, {place} was packed though.",
            "Loved it, we spent hours at {place}.",
            "It was {place} — totally worth the line.",
        ),
        (
            "Did you go to the museum {time_asked} in the end?",
            "What did you see at the museum {time_asked}?",
            "How was the museum {time_asked}?",
        ),
        (
            "Which exhibition did {who} visit with {companion}?",
            "What show did {who} look at in a gallery with {companion}?",
            "What art or science display did {who} tour with {companion}?",
        ),
        (
            "The gift shop was dangerous for my wallet.",
            "A guide told us the whole history.",
            "I took way too many photos.",
        ),
    ),
    _Activity(
        "Where did {who} volunteer",
        "When did {who} volunteer at {place}?",
        "Which two places has {who} volunteered at?",
        (
            "the Riverside food bank",
            "the animal shelter on Fifth Street",
            "the community garden",
            "a beach cleanup at Ocean Park",
            "the public library",
            "the children's hospital",
        ),
        (
            "{time} I spent the day volunteering at {place} {with_whom}.",
            "Volunteered at {place} {time} {with_whom}, felt really good.",
            "{time} {with_whom_front} and I helped out at {place}.",
        ),
        (
            "Yes, we were at {place} all afternoon.",
            "It went well — {place} needed all the hands they could get.",
            "We did, {place} is so well run.",
        ),
        (
            "Did you end up volunteering {time_asked}?",
            "How did the volunteering go {time_asked}?",
            "Were you helping out somewhere {time_asked}?",
        ),
        (
            "Where did {who} donate time with {companion}?",
            "Which place did {who} work at unpaid with {companion}?",
            "Where did {who} lend a hand for charity with {companion}?",
        ),
        ("We sorted about a thousand cans.", "Everyone there was so kind.", "I'm signing up again next month."),
    ),
]


@dataclass(frozen=True)
class _Item:
    name: str
    short: str
    category: str
    detail: str


_ITEMS = [
    _Item("a used road bike", "bike", "set of wheels for commuting", "bright orange, only two hundred dollars"),
    _Item("a telescope", "telescope", "stargazing equipment", "it can see Saturn's rings"),
    _Item("a ukulele", "ukulele", "musical instrument", "I can already play two chords"),
    _Item("an espresso machine", "espresso machine", "coffee gadget", "my mornings are changed forever"),
    _Item("a kayak", "kayak", "boat for the lake", "it fits on the car roof, barely"),
    _Item("a sewing machine", "sewing machine", "crafting tool", "I'm going to make my own curtains"),
    _Item("a standing desk", "standing desk", "piece of office furniture", "my back is already thanking me"),
    _Item("a record player", "record player", "way to play vinyl", "I've been raiding my dad's old albums"),
    _Item("a drone", "drone", "flying camera", "I crashed it into a tree on day one"),
    _Item("noise-cancelling headphones", "headphones", "audio gear for the commute", "the train is silent now"),
]
_SHOPS = ["a garage sale", "the flea market on Main Street", "a thrift store downtown", "a shop near the station"]

_HOBBIES = [
    ("bouldering", "indoor rock climbing", "my forearms are always sore now"),
    ("birdwatching", "spotting and identifying birds", "I saw a heron at the pond this week"),
    ("crocheting", "making things with yarn and a hook", "I've made three lopsided scarves"),
    ("learning Portuguese", "studying a new language", "I practise on the bus every morning"),
    ("baking sourdough", "making bread at home", "my starter is named Doughy"),
    ("playing chess online", "a board game of strategy on the internet", "I play like ten games a night"),
    ("restoring old furniture", "fixing up antique chairs and tables", "the garage smells like varnish"),
    ("film photography", "shooting pictures on old analogue cameras", "I develop the rolls myself"),
    ("pickleball", "a paddle sport", "there's a league at the park"),
    ("gardening", "growing vegetables in the backyard", "the tomatoes are finally coming in"),
]
_HOBBY_STATEMENTS = (
    "Honestly I've been obsessed with {hobby} lately, {detail}.",
    "I got really into {hobby} this year — {detail}.",
    "My new thing is {hobby}. {detail_cap}.",
)
_HOBBY_ASKED = ("What have you been doing to unwind lately?", "Got any new hobbies?", "What keeps you busy these days?")
_HOBBY_ANSWERS = (
    "Mostly {hobby}, {detail}.",
    "{hobby_cap}, believe it or not. {detail_cap}.",
    "{hobby_cap}! {detail_cap}.",
)
_HOBBY_QUESTIONS = (
    ("paraphrase", "What pastime has {who} taken up recently?"),
    ("paraphrase", "What does {who} do in {pos} free time these days?"),
    ("paraphrase", "Which leisure activity is {who} hooked on?"),
)

_NEWS = [
    (
        "got into the nursing program at Westbrook",
        "Which program did {who}'s {rel} get into?",
        "the nursing program at Westbrook",
    ),
    ("just got engaged to {partner}", "Who is {who}'s {rel} {name} engaged to?", "{partner}"),
    ("is moving to {city} for a job at {company}", "Where is {who}'s {rel} {name} moving for work?", "{city}"),
    (
        "adopted two kittens called Salt and Pepper",
        "What are the names of the kittens {who}'s {rel} adopted?",
        "Salt and Pepper",
    ),
    ("finished {obj_pos} first triathlon", "What race did {who}'s {rel} {name} complete?", "a first triathlon"),
    ("started a podcast about urban gardening", "What is {who}'s {rel} {name}'s podcast about?", "urban gardening"),
    ("is having a baby in {month}", "When is {who}'s {rel} {name} due to have a baby?", "{month}"),
    ("got a puppy named Waffles", "What did {who}'s {rel} {name} name the new puppy?", "Waffles"),
]
_NEWS_INTROS = (
    "{time} I talked to my {rel} {name} for like two hours.",
    "{time} I had dinner with my {rel} {name}.",
    "So my {rel} {name} called me {time}.",
)
_NEWS_REACTIONS = ("Aw, how's {subj} doing?", "Oh nice! Any news from {obj}?", "How is {subj}? It's been ages.")
_NEWS_REVEALS = ("{subj_cap} {news}!", "Big news actually — {subj} {news}.", "{subj_cap} {news}, can you believe it?")

_REASONS = [
    ("my cousin's wedding", "a family celebration"),
    ("a work conference", "a professional event"),
    ("my best friend's thirtieth birthday", "a friend's milestone party"),
    ("a job interview", "a hiring meeting"),
    ("a climbing trip", "an adventure in the mountains"),
    ("a food festival", "a big culinary event"),
]
_TRIP_STATEMENTS = (
    "I'm flying to {city} {time} for {reason}.",
    "Guess who's going to {city} {time}? Me! It's for {reason}.",
    "{time_cap} I'm off to {city}, {reason}.",
)
_TRIP_ASKED = ("Any plans for {time}?", "Are you doing anything fun {time}?", "What are you up to {time}?")
_TRIP_ANSWERS = ("Heading to {city} for {reason}!", "I'll be in {city} — {reason}.", "Off to {city}, it's {reason}.")
_TRIP_QUESTIONS = (
    ("single-hop", "Why is {who} going to {city}?"),
    ("single-hop", "Where is {who} travelling for {reason}?"),
    ("temporal", "When is {who} going to {city}?"),
    ("temporal", "When is {who}'s trip to {city} for {reason}?"),
    ("paraphrase", "Which city will {who} visit for {reason_para}?"),
)

_TITLES = ["senior editor", "team lead", "head nurse", "lead designer", "principal engineer", "store manager"]
_PROMOTIONS = (
    "Big news — I got promoted to {title} {time}!",
    "{time_cap} my boss called me in and made me {title}.",
    "So {time} I officially became {title}.",
)
_OFFER_ASKS = (
    "Any news from {company} about the interview?",
    "Did {company} ever get back to you?",
    "Have you heard back from {company} yet?",
)
_OFFER_ANSWERS = (
    "They offered me the job! I start {time}.",
    "Yes!! I got it. First day is {time}.",
    "They said yes, I start {time}. I'm terrified.",
)

_PETS = [
    ("a greyhound", "dog", "greyhound"),
    ("a tabby kitten", "cat", "tabby"),
    ("a beagle puppy", "dog", "beagle"),
    ("a rescue parrot", "bird", "parrot"),
    ("a corgi", "dog", "corgi"),
    ("a Maine Coon", "cat", "Maine Coon"),
]
_PET_NAMES = ["Pixel", "Biscuit", "Mochi", "Juniper", "Ziggy", "Pickles", "Olive", "Bandit", "Nacho", "Clementine"]
_PET_INTROS = (
    "We adopted {pet} {time}! {pos_cap} name is {pet_name}.",
    "{time_cap} I brought home {pet}, {pet_name}. I'm in love.",
    "Meet the newest family member: {pet_name}, {pet}. Got {obj} {time}.",
)
_PET_MISDEEDS = [
    ("chewed through my new sneakers", "chew through", "my new sneakers"),
    ("ate half a birthday cake off the counter", "eat off the counter", "half a birthday cake"),
    ("figured out how to open the fridge", "figure out how to open", "the fridge"),
    ("knocked my laptop into the bathtub", "knock into the bathtub", "a laptop"),
    ("ran off with the neighbour's garden gnome", "run off with", "the neighbour's garden gnome"),
]
_PET_FOLLOWS = (
    "{pet_name} {misdeed} {time}.",
    "Ugh, {time} {pet_name} {misdeed}.",
    "You won't believe it, {pet_name} {misdeed} {time}.",
)

_MOVES = ("My {rel} {name} just moved to {city}.", "{time_cap} my {rel} {name} packed up and moved to {city}.")
_BUSINESSES = ["a bike repair shop", "a bakery", "a tiny bookstore", "a taco truck", "a yoga studio", "a vinyl bar"]
_MOVE_FOLLOWS = (
    "{name} is opening {business} there, can you believe it?",
    "Oh and {name} is opening {business}! Right in the old town.",
)

_INJURIES = [
    ("sprained my ankle", "sprain {pos} ankle", "a sprained ankle"),
    ("pulled a hamstring", "pull a hamstring", "a pulled hamstring"),
    ("broke my wrist", "break {pos} wrist", "a broken wrist"),
    ("cracked a rib", "crack a rib", "a cracked rib"),
]
_SPORTS = ["playing tennis", "at soccer practice", "on the ski slope", "at the climbing gym", "playing basketball"]

_GREETINGS = (
    ("Hey {other}!", "Hi {other}!", "{other}!", "Morning {other}!", "Hey hey {other}.", "Hi there {other}!"),
    (
        "How've you been?",
        "Long time no talk.",
        "Good to hear from you!",
        "How's your {weekday} going?",
        "Hope your week is going well.",
        "What's new?",
        "It's been a while!",
        "Got a minute to chat?",
        "How are things?",
    ),
)
_GREETING_REPLIES = (
    ("Hey!", "Hi!", "Oh hi!", "Hey you!", "Hello!", "Heyyy!"),
    (
        "Pretty good, busy week.",
        "Doing well, how about you?",
        "Good to hear from you too!",
        "Not bad at all.",
        "Surviving, haha.",
        "Tired but good.",
        "Great, actually!",
        "All good here.",
        "Can't complain.",
    ),
)
_CLOSINGS = (
    (
        "I have to run,",
        "Okay, gotta go make dinner,",
        "I should get back to work,",
        "My battery is dying,",
        "It's getting late here,",
        "Oh, my ride is here,",
    ),
    ("talk soon!", "bye!", "catch you later!", "let's catch up again soon.", "more next time!", "text me!"),
)
_CLOSING_REPLIES = (
    ("Bye!", "Talk soon!", "Sounds good!", "Later!", "Okay!", "Of course!"),
    ("Take care.", "See you.", "Have a good {weekday}!", "Say hi to everyone.", "Don't be a stranger.", ""),
)
_REACTIONS = (
    (
        "No way, that's amazing!",
        "Haha I love that.",
        "Wow, good for you, {owner}!",
        "That sounds like a blast.",
        "Oh that's so cool.",
        "You deserve it, honestly.",
        "Ha, classic {owner}.",
        "I'm so jealous right now.",
        "Okay that's awesome.",
        "Love this for you.",
    ),
    ("", "Tell me more!", "I want pictures.", "Seriously.", "So happy for you.", "That made my day."),
)
_SYMPATHY = ("Oh no! Are you okay?", "Ouch, that sounds painful.", "Oh no, I'm so sorry.")
_RECOVERY = ("I'll live, just on the couch for a bit.", "Doctor says six weeks of rest.", "It's getting better slowly.")
_SMALL_TALK = [
    ("How's work been?", "Busy, but fine. Lots of meetings this week."),
    ("Did you watch the game last night?", "Missed it, I fell asleep on the couch."),
    ("The weather has been so weird lately.", "Right? Sunny one day, pouring the next."),
    ("What are you reading these days?", "A mystery novel my neighbour lent me, it's pretty good."),
    ("I really need a vacation.", "Same, I keep daydreaming about beaches."),
    ("I should really go hiking more often.", "We should go together sometime!"),
    ("Have you tried that new ramen place?", "Not yet, is it any good?"),
    ("My phone died again today.", "Time for a new one maybe?"),
    ("I've been trying to cook more at home.", "Same, takeout is getting expensive."),
    ("Are you still doing the morning runs?", "On and off, mostly off, haha."),
    ("I want to take a class of some kind this year.", "You should! Something totally new."),
    ("We should plan a trip together.", "Yes! Somewhere warm."),
    ("Traffic this morning was a nightmare.", "It's the construction on the bridge."),
    ("Did you see the photos I sent?", "Yes, they were so cute."),
    ("I'm thinking about getting a pet.", "Do it, you'd be a great pet parent."),
    ("My sister keeps sending me concert videos.", "Ha, is she at a show every week?"),
    ("I bought way too many groceries again.", "That's the best problem to have."),
    ("Work is finally calming down.", "Good, you needed a break."),
    ("Concert tickets are so expensive now.", "I know, I skipped the last tour because of it."),
    ("I keep meaning to visit the museum downtown.", "They have free entry on the first Sunday of the month."),
    ("Have you ever been camping?", "Once, as a kid. Never again, haha."),
    ("My coworker wants me to try a cooking class with her.", "That could be fun, you love food."),
    ("Do you ever volunteer anywhere?", "I used to, I should get back into it."),
    ("Our neighbour's dog barks all night.", "Earplugs, my friend. Earplugs."),
    ("I'm so tired of my commute.", "Could you work from home more?"),
    ("What did you have for lunch?", "Leftover soup, very glamorous."),
    ("My back has been killing me.", "Maybe it's time for a better chair."),
    ("I started a new show on Netflix.", "Ooh which one? I need recommendations."),
    ("My brother is visiting next month.", "Fun! Are you showing him around?"),
    ("I finally cleaned out my closet.", "That feels so good, right?"),
    ("Do you have plans for the holidays?", "Not yet, probably just family stuff."),
    ("I tried yoga once and hated it.", "Ha, it's not for everyone."),
    ("The kids next door are learning the trumpet.", "Oh no. Every day?"),
    ("Coffee is the only thing getting me through this week.", "Same, I'm on my third cup."),
]
_ASIDES = (
    "Anyway, how are things with you?",
    "I saw a flight deal to {city} the other day, so tempting.",
    "My friend just bought a kayak and won't stop talking about it.",
    "Everyone at work is training for some race now.",
    "Oh, and I finally fixed the leaky tap.",
    "By the way, my mom says hi.",
    "I've been sleeping so badly this week.",
    "Can't believe it's already {month}.",
    "My landlord is finally fixing the heating.",
    "I keep forgetting to water my plants.",
    "Did I tell you my car made that noise again?",
    "I've had the same song stuck in my head all day.",
    "Our team got a new manager, still getting used to it.",
    "I need to book a dentist appointment, ugh.",
)


# ---------------------------------------------------------------------------------------------------- time words


@dataclass(frozen=True)
class _When:
    phrase: str
    day: date
    answer: str


def _past(rng: random.Random, today: date) -> _When:
    choice = rng.randrange(9)
    if choice == 0:
        return _When("yesterday", today - timedelta(days=1), _day(today - timedelta(days=1)))
    if choice == 1:
        return _When("this morning", today, _day(today))
    if choice == 2:
        back = rng.randint(2, 6)
        day = today - timedelta(days=back)
        return _When(f"on {_WEEKDAYS[day.weekday()]}", day, _day(day))
    if choice == 3:
        back = rng.randint(2, 6)
        day = today - timedelta(days=back)
        return _When(f"last {_WEEKDAYS[day.weekday()]}", day, _day(day))
    if choice == 4:
        saturday = today - timedelta(days=(today.weekday() - 5) % 7 or 7)
        if today.weekday() >= 5:
            saturday -= timedelta(days=7)
        return _When("last weekend", saturday, f"the weekend of {_day(saturday)}")
    if choice == 5:
        back = rng.choice([2, 3])
        day = today - timedelta(days=back)
        return _When(f"{['', '', 'two', 'three'][back]} days ago", day, _day(day))
    if choice == 6:
        monday = today - timedelta(days=today.weekday() + 7)
        return _When("last week", monday, f"the week of {_day(monday)}")
    if choice == 7:
        monday = today - timedelta(days=today.weekday() + 14)
        return _When("two weeks ago", monday + timedelta(days=3), f"the week of {_day(monday)}")
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    return _When("last month", first, f"{_MONTHS[first.month - 1]} {first.year}")


def _future(rng: random.Random, today: date) -> _When:
    choice = rng.randrange(6)
    if choice == 0:
        return _When("tomorrow", today + timedelta(days=1), _day(today + timedelta(days=1)))
    if choice == 1:
        ahead = rng.randint(2, 6)
        day = today + timedelta(days=ahead)
        return _When(f"next {_WEEKDAYS[day.weekday()]}", day, _day(day))
    if choice == 2:
        saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
        return _When("this weekend", saturday, f"the weekend of {_day(saturday)}")
    if choice == 3:
        monday = today + timedelta(days=7 - today.weekday())
        return _When("next week", monday, f"the week of {_day(monday)}")
    if choice == 4:
        monday = today + timedelta(days=14 - today.weekday())
        return _When("in two weeks", monday, f"the week of {_day(monday)}")
    first = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    return _When("next month", first, f"{_MONTHS[first.month - 1]} {first.year}")


def _day(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _month_of(day: date) -> str:
    return f"{_MONTHS[day.month - 1]} {day.year}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------------------------------------------- generator


@dataclass
class _Person:
    name: str
    gender: str

    @property
    def subj(self) -> str:
        return _PRONOUNS[self.gender][0]

    @property
    def obj(self) -> str:
        return _PRONOUNS[self.gender][1]

    @property
    def pos(self) -> str:
        return _PRONOUNS[self.gender][2]


@dataclass
class _Relative(_Person):
    relation: str = ""


@dataclass
class _Ask:
    kind: QuestionKind
    text: str
    answer: str
    evidence: tuple[str, ...]


@dataclass
class _Episode:
    """Turns to say in one session; `write` adds them and returns the questions they can answer."""

    write: Callable[[_SessionWriter], list[_Ask]]


@dataclass
class _SessionWriter:
    conversation: str
    number: int
    when: datetime
    turns: list[Turn] = field(default_factory=list)

    @property
    def today(self) -> date:
        return self.when.date()

    def say(self, speaker: _Person, text: str) -> str:
        turn = Turn(
            id=f"{self.conversation}:s{self.number:02d}:t{len(self.turns) + 1:03d}",
            session=self.number,
            index=len(self.turns) + 1,
            speaker=speaker.name,
            text=text,
        )
        self.turns.append(turn)
        return turn.id


class _Conversation:
    def __init__(self, split: Split, number: int, sessions: int, seed: int) -> None:
        self.split = split
        self.id = f"{split}-{number:02d}"
        self.rng = random.Random(f"astrocyte-bench:{seed}:{split}:{number}")
        self.sessions = sessions
        first, second = self.rng.sample(_PEOPLE, 2)
        self.speakers = (_Person(*first), _Person(*second))
        others = self.rng.sample(_OTHERS, 10)
        self.circles = {
            self.speakers[0].name: [self._relative(name, gender) for name, gender in others[:5]],
            self.speakers[1].name: [self._relative(name, gender) for name, gender in others[5:]],
        }
        self.outings: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.small_talk: list[tuple[str, str]] = []
        self.asides: list[str] = []

    def build(self) -> Conversation:
        start = datetime(2022, 1, 3, tzinfo=UTC) + timedelta(days=self.rng.randint(0, 540))
        dates = [start]
        for _ in range(self.sessions - 1):
            dates.append(dates[-1] + timedelta(days=self.rng.randint(4, 16), hours=self.rng.randint(-3, 3)))
        plan: list[list[_Episode]] = [[] for _ in range(self.sessions)]
        self._plan_facts(plan)
        sessions, asks = [], []
        for number, (when, episodes) in enumerate(zip(dates, plan, strict=True), start=1):
            writer = _SessionWriter(self.id, number, when.replace(hour=self.rng.randint(9, 21), minute=0))
            asks += self._write_session(writer, episodes)
            sessions.append(Session(number, writer.when, tuple(writer.turns)))
        for (who, question), done in self.outings.items():
            if len(done) == 2:
                answer = " and ".join(place for place, _ in done)
                asks.append(_Ask("multi-hop", question.format(who=who), answer, tuple(turn for _, turn in done)))
        questions = tuple(
            Question(f"{self.id}:q{index:03d}", ask.kind, ask.text, ask.answer, ask.evidence)
            for index, ask in enumerate(self._choose(asks), start=1)
        )
        return Conversation(self.id, (self.speakers[0].name, self.speakers[1].name), tuple(sessions), questions)

    # -- planning

    def _plan_facts(self, plan: list[list[_Episode]]) -> None:
        rng, last = self.rng, self.sessions - 1
        for person in self.speakers:
            for activity in rng.sample(_ACTIVITIES, 5):
                places = rng.sample(activity.places, 2)
                first, second = sorted(rng.sample(range(self.sessions), 2))
                if second - first < 2:
                    second = min(last, first + 3)
                plan[first].append(self._outing(person, activity, places[0], rng.random() < 0.5))
                if rng.random() < 0.6:
                    plan[second].append(self._outing(person, activity, places[1], rng.random() < 0.5))
            for item in rng.sample(_ITEMS, 3):
                plan[rng.randrange(self.sessions)].append(self._purchase(person, item))
            plan[rng.randrange(self.sessions)].append(self._hobby(person))
            for _ in range(3):
                plan[rng.randrange(self.sessions)].append(self._news(person))
            plan[rng.randrange(self.sessions)].append(self._trip(person))
            plan[rng.randrange(self.sessions)].append(self._job(person))
            plan[rng.randrange(self.sessions)].append(self._injury(person))
            intro = rng.randrange(self.sessions - 3)
            follow = rng.randint(intro + 2, last)
            self._pet(person, plan[intro], plan[follow])
            intro = rng.randrange(self.sessions - 3)
            follow = rng.randint(intro + 2, last)
            self._move(person, plan[intro], plan[follow])
        for episodes in plan:
            rng.shuffle(episodes)

    def _relative(self, name: str, gender: str) -> _Relative:
        return _Relative(name, gender, relation=self.rng.choice(_RELATIONS[gender]))

    def _other(self, person: _Person) -> _Person:
        return self.speakers[1] if person is self.speakers[0] else self.speakers[0]

    def _pick(self, options: Sequence[str]) -> str:
        """A template; a third of each list is reserved for the test split, so dev never sees that wording."""
        usable = options if self.split == "test" or len(options) < 3 else [t for i, t in enumerate(options) if i % 3]
        return self.rng.choice(list(usable))

    def _compose(self, parts: Sequence[Sequence[str]]) -> str:
        return " ".join(piece for piece in (self._pick(options) for options in parts) if piece)

    def _pick_pair(self, options: Sequence[tuple[str, str]]) -> tuple[str, str]:
        usable = options if self.split == "test" or len(options) < 3 else [t for i, t in enumerate(options) if i % 3]
        return self.rng.choice(list(usable))

    # -- writing sessions

    def _write_session(self, writer: _SessionWriter, episodes: list[_Episode]) -> list[_Ask]:
        rng = self.rng
        opener = rng.choice(self.speakers)
        other = self._other(opener)
        weekday = _WEEKDAYS[writer.today.weekday()]
        writer.say(opener, self._compose(_GREETINGS).format(other=other.name, weekday=weekday))
        writer.say(other, self._compose(_GREETING_REPLIES))
        asks: list[_Ask] = []
        fillers = rng.randint(2, 5)
        slots = [*episodes, *([None] * fillers)]
        rng.shuffle(slots)
        for episode in slots:
            if episode is None:
                self._small_talk(writer)
            else:
                asks += episode.write(writer)
        closer = rng.choice(self.speakers)
        writer.say(closer, _cap(self._compose(_CLOSINGS)))
        writer.say(self._other(closer), self._compose(_CLOSING_REPLIES).format(weekday=weekday))
        return asks

    def _small_talk(self, writer: _SessionWriter) -> None:
        """Chit-chat, drawn like cards from a shuffled deck so a pair is not repeated until all were used."""
        first = self._other(self._last_speaker(writer))
        opener, reply = self._deal(self.small_talk, _SMALL_TALK)
        writer.say(first, opener)
        writer.say(self._other(first), reply)
        if self.rng.random() < 0.4:
            aside = self._deal(self.asides, _ASIDES)
            writer.say(first, aside.format(month=_MONTHS[writer.today.month - 1], city=self.rng.choice(_CITIES)))

    def _deal(self, deck: list[T], cards: Sequence[T]) -> T:
        if not deck:
            deck += self.rng.sample(list(cards), len(cards))
        return deck.pop()

    def _last_speaker(self, writer: _SessionWriter) -> _Person:
        return self.speakers[0] if writer.turns[-1].speaker == self.speakers[0].name else self.speakers[1]

    def _react(self, writer: _SessionWriter, owner: _Person) -> None:
        writer.say(self._other(owner), self._compose(_REACTIONS).format(owner=owner.name))

    def _companion(self, person: _Person) -> tuple[str, str, str]:
        """(phrase after 'with', phrase before 'and I', name used in questions)."""
        relative = self.rng.choice(self.circles[person.name])
        phrase = f"my {relative.relation} {relative.name}"
        return f"with {phrase}", phrase, relative.name

    # -- facts

    def _outing(self, owner: _Person, activity: _Activity, place: str, asked: bool) -> _Episode:
        def write(writer: _SessionWriter) -> list[_Ask]:
            when = _past(self.rng, writer.today)
            with_whom, with_whom_front, companion = self._companion(owner)
            if asked:
                writer.say(self._other(owner), self._pick(activity.asked).format(time_asked=when.phrase))
                said = writer.say(owner, self._pick(activity.answers).format(place=place))
                statement = said
            else:
                text = self._pick(activity.statements).format(
                    time=when.phrase, with_whom=with_whom, with_whom_front=with_whom_front, place=place
                )
                statement = writer.say(owner, _cap(text))
            if self.rng.random() < 0.5:
                writer.say(owner, self.rng.choice(activity.details))
            self._react(writer, owner)
            who = owner.name
            companion_known = not asked
            self.outings.setdefault((who, activity.both_q), []).append((place, statement))
            what = activity.what_q.format(who=who)
            asks = [
                _Ask("temporal", activity.when_q.format(who=who, place=place), when.answer, (statement,)),
                _Ask("temporal", f"{what} in {_month_of(when.day)}?", place, (statement,)),
                _Ask("single-hop", f"{what}?", place, (statement,)),
            ]
            if companion_known:
                asks.append(_Ask("single-hop", f"Who was with {who} at {place}?", companion, (statement,)))
                asks.append(
                    _Ask(
                        "paraphrase",
                        self._pick(activity.paraphrases).format(who=who, companion=companion),
                        place,
                        (statement,),
                    )
                )
            return asks

        return _Episode(write)

    def _purchase(self, owner: _Person, item: _Item) -> _Episode:
        def write(writer: _SessionWriter) -> list[_Ask]:
            when = _past(self.rng, writer.today)
            shop = self.rng.choice(_SHOPS)
            who = owner.name
            if self.rng.random() < 0.5:
                said = writer.say(
                    owner, _cap(f"{when.phrase}, I finally caved and bought {item.name} at {shop} — {item.detail}.")
                )
                evidence: tuple[str, ...] = (said,)
            else:
                asked = writer.say(self._other(owner), f"Did you end up getting the {item.short}?")
                said = writer.say(owner, f"Yep, picked it up at {shop} {when.phrase}. {_cap(item.detail)}.")
                evidence = (asked, said)
            self._react(writer, owner)
            return [
                _Ask("single-hop", f"What did {who} buy at {shop}?", item.name, evidence),
                _Ask("temporal", f"When did {who} buy the {item.short}?", when.answer, evidence),
                _Ask("paraphrase", f"What new {item.category} did {who} get?", item.name, evidence),
            ]

        return _Episode(write)

    def _hobby(self, owner: _Person) -> _Episode:
        hobby, paraphrase, detail = self.rng.choice(_HOBBIES)

        def write(writer: _SessionWriter) -> list[_Ask]:
            fields = {"hobby": hobby, "hobby_cap": _cap(hobby), "detail": detail, "detail_cap": _cap(detail)}
            if self.rng.random() < 0.5:
                evidence = writer.say(owner, self._pick(_HOBBY_STATEMENTS).format(**fields))
            else:
                writer.say(self._other(owner), self._pick(_HOBBY_ASKED))
                evidence = writer.say(owner, self._pick(_HOBBY_ANSWERS).format(**fields))
            self._react(writer, owner)
            kind, template = self._pick_pair(_HOBBY_QUESTIONS)
            return [_Ask(kind, template.format(who=owner.name, pos=owner.pos), paraphrase, (evidence,))]  # type: ignore[arg-type]

        return _Episode(write)

    def _news(self, owner: _Person) -> _Episode:
        relative = self.rng.choice(self.circles[owner.name])
        news, question, answer = self.rng.choice(_NEWS)
        partner = self.rng.choice([name for name, _ in _OTHERS if name != relative.name])
        city, company = self.rng.choice(_CITIES), self.rng.choice(_COMPANIES)

        def write(writer: _SessionWriter) -> list[_Ask]:
            when = _past(self.rng, writer.today)
            month = _MONTHS[(writer.today.month + self.rng.randint(2, 6)) % 12]
            fields = {"partner": partner, "city": city, "company": company, "month": month, "obj_pos": relative.pos}
            text = news.format(**fields)
            intro = writer.say(
                owner,
                _cap(self._pick(_NEWS_INTROS).format(time=when.phrase, rel=relative.relation, name=relative.name)),
            )
            writer.say(self._other(owner), self._pick(_NEWS_REACTIONS).format(subj=relative.subj, obj=relative.obj))
            reveal = writer.say(
                owner, self._pick(_NEWS_REVEALS).format(subj=relative.subj, subj_cap=_cap(relative.subj), news=text)
            )
            self._react(writer, owner)
            asked = question.format(who=owner.name, rel=relative.relation, name=relative.name)
            return [
                _Ask("single-hop", asked, answer.format(**fields), (reveal,)),
                _Ask(
                    "temporal",
                    f"When did {owner.name} talk with {owner.pos} {relative.relation} {relative.name}?",
                    when.answer,
                    (intro,),
                ),
            ]

        return _Episode(write)

    def _trip(self, owner: _Person) -> _Episode:
        city = self.rng.choice(_CITIES)
        reason, reason_para = self.rng.choice(_REASONS)

        def write(writer: _SessionWriter) -> list[_Ask]:
            when = _future(self.rng, writer.today)
            fields = {"city": city, "reason": reason, "time": when.phrase, "time_cap": _cap(when.phrase)}
            if self.rng.random() < 0.5:
                evidence = writer.say(owner, _cap(self._pick(_TRIP_STATEMENTS).format(**fields)))
            else:
                writer.say(self._other(owner), self._pick(_TRIP_ASKED).format(time=when.phrase))
                evidence = writer.say(owner, self._pick(_TRIP_ANSWERS).format(**fields))
            self._react(writer, owner)
            asks = []
            for kind, template in _TRIP_QUESTIONS:
                text = template.format(
                    who=owner.name, city=city, reason=reason.replace("my ", "a "), reason_para=reason_para
                )
                answer = {"single-hop": reason if "Why" in text else city, "temporal": when.answer}.get(kind, city)
                asks.append(_Ask(kind, text, answer, (evidence,)))  # type: ignore[arg-type]
            return asks

        return _Episode(write)

    def _job(self, owner: _Person) -> _Episode:
        def write(writer: _SessionWriter) -> list[_Ask]:
            who = owner.name
            if self.rng.random() < 0.5:
                company = self.rng.choice(_COMPANIES)
                when = _future(self.rng, writer.today)
                question = writer.say(self._other(owner), self._pick(_OFFER_ASKS).format(company=company))
                answer = writer.say(owner, self._pick(_OFFER_ANSWERS).format(time=when.phrase))
                self._react(writer, owner)
                return [
                    _Ask("single-hop", f"Which company offered {who} a job?", company, (question, answer)),
                    _Ask("temporal", f"When does {who} start the new job at {company}?", when.answer, (answer,)),
                    _Ask("paraphrase", f"Which employer wanted to hire {who}?", company, (question, answer)),
                ]
            title = self.rng.choice(_TITLES)
            when = _past(self.rng, writer.today)
            evidence = writer.say(
                owner, _cap(self._pick(_PROMOTIONS).format(title=title, time=when.phrase, time_cap=_cap(when.phrase)))
            )
            self._react(writer, owner)
            return [
                _Ask("single-hop", f"What was {who} promoted to?", title, (evidence,)),
                _Ask("temporal", f"When did {who} become {title}?", when.answer, (evidence,)),
                _Ask("paraphrase", f"What is {who}'s new role at work?", title, (evidence,)),
            ]

        return _Episode(write)

    def _injury(self, owner: _Person) -> _Episode:
        injury, verb, noun = self.rng.choice(_INJURIES)
        sport = self.rng.choice(_SPORTS)

        def write(writer: _SessionWriter) -> list[_Ask]:
            when = _past(self.rng, writer.today)
            evidence = writer.say(owner, _cap(f"Ugh, {when.phrase} I {injury} {sport}."))
            writer.say(self._other(owner), self._pick(_SYMPATHY))
            writer.say(owner, self._pick(_RECOVERY))
            who, action = owner.name, verb.format(pos=owner.pos)
            return [
                _Ask("temporal", f"When did {who} {action}?", when.answer, (evidence,)),
                _Ask("single-hop", f"How did {who} {action}?", sport, (evidence,)),
                _Ask("paraphrase", f"What happened to {who}'s body {sport}?", noun, (evidence,)),
            ]

        return _Episode(write)

    def _pet(self, owner: _Person, intro_session: list[_Episode], follow_session: list[_Episode]) -> None:
        pet = self.rng.choice(_PETS)
        pet_name = self.rng.choice(_PET_NAMES)
        misdeed, misdeed_verb, misdeed_object = self.rng.choice(_PET_MISDEEDS)
        introduced: list[str] = []
        pronoun = ("her", "her") if self.rng.random() < 0.5 else ("him", "his")

        def intro(writer: _SessionWriter) -> list[_Ask]:
            when = _past(self.rng, writer.today)
            text = self._pick(_PET_INTROS).format(
                pet=pet[0],
                pet_name=pet_name,
                time=when.phrase,
                time_cap=_cap(when.phrase),
                pos_cap=_cap(pronoun[1]),
                obj=pronoun[0],
            )
            introduced.append(writer.say(owner, _cap(text)))
            self._react(writer, owner)
            return [
                _Ask("single-hop", f"What is the name of {owner.name}'s {pet[2]}?", pet_name, (introduced[0],)),
                _Ask(
                    "paraphrase", f"What animal did {owner.name} welcome into the household?", pet[0], (introduced[0],)
                ),
            ]

        def follow(writer: _SessionWriter) -> list[_Ask]:
            when = _past(self.rng, writer.today)
            text = self._pick(_PET_FOLLOWS).format(pet_name=pet_name, misdeed=misdeed, time=when.phrase)
            said = writer.say(owner, _cap(text))
            self._react(writer, owner)
            question = f"What did {owner.name}'s {pet[2]} {misdeed_verb}?"
            return [_Ask("multi-hop", question, misdeed_object, (introduced[0], said))] if introduced else []

        intro_session.append(_Episode(intro))
        follow_session.append(_Episode(follow))

    def _move(self, owner: _Person, intro_session: list[_Episode], follow_session: list[_Episode]) -> None:
        relative = self.rng.choice(self.circles[owner.name])
        city, business = self.rng.choice(_CITIES), self.rng.choice(_BUSINESSES)
        introduced: list[str] = []

        def intro(writer: _SessionWriter) -> list[_Ask]:
            when = _past(self.rng, writer.today)
            text = self._pick(_MOVES).format(
                rel=relative.relation, name=relative.name, city=city, time_cap=_cap(when.phrase)
            )
            introduced.append(writer.say(owner, text))
            self._react(writer, owner)
            return [
                _Ask(
                    "single-hop",
                    f"Where did {owner.name}'s {relative.relation} {relative.name} move to?",
                    city,
                    (introduced[0],),
                )
            ]

        def follow(writer: _SessionWriter) -> list[_Ask]:
            said = writer.say(owner, self._pick(_MOVE_FOLLOWS).format(name=relative.name, business=business))
            self._react(writer, owner)
            question = f"What is {owner.name}'s {relative.relation} opening in {city}?"
            return [_Ask("multi-hop", question, business, (introduced[0], said))] if introduced else []

        intro_session.append(_Episode(intro))
        follow_session.append(_Episode(follow))

    # -- questions

    def _choose(self, asks: list[_Ask]) -> list[_Ask]:
        """A balanced sample: every multi-hop question, then single-hop, temporal and paraphrase questions
        drawn evenly, each question text once (a text two facts could answer is dropped as ambiguous)."""
        counts: dict[str, int] = {}
        for ask in asks:
            counts[ask.text] = counts.get(ask.text, 0) + 1
        unique = [ask for ask in asks if counts[ask.text] == 1]
        by_kind = {kind: [ask for ask in unique if ask.kind == kind] for kind in QUESTION_KINDS}
        chosen = list(by_kind["multi-hop"])
        quota = max(16, len(chosen) * 2)
        for kind in ("single-hop", "temporal", "paraphrase"):
            pool = by_kind[kind]
            chosen += self.rng.sample(pool, min(quota, len(pool)))
        order = {id(ask): position for position, ask in enumerate(asks)}
        return sorted(chosen, key=lambda ask: order[id(ask)])
