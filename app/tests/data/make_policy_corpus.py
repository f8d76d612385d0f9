#!/usr/bin/env python3
"""Builds policy_corpus.tsv: labelled sitter/client messages for the
anti-poaching detector (SPEC §3.5). Deterministic (fixed seed), so the file
only changes when this script does. Run: python3 make_policy_corpus.py

Columns: label (violation|clean), kind (phone|email|url|social|payment|
off_platform_phrase|none), text. Violations cover every hit type and the
obfuscations the spec names; clean messages are hard negatives: times,
prices, counts, dates, addresses, codes a client gives, chip numbers."""

import random

rng = random.Random(20261124)
rows = []


def v(kind, text):
    rows.append(("violation", kind, text))


def c(text):
    rows.append(("clean", "none", text))


# ------------------------------------------------------------ phone numbers
def digits10():
    area = rng.choice(["555", "512", "737", "415", "646", "303", "206"])
    return area + str(rng.randint(200, 999)) + str(rng.randint(1000, 9999))


WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def fmt(d, style):
    a, b, e = d[:3], d[3:6], d[6:]
    if style == "dash":
        return f"{a}-{b}-{e}"
    if style == "dot":
        return f"{a}.{b}.{e}"
    if style == "space":
        return f"{a} {b} {e}"
    if style == "paren":
        return f"({a}) {b}-{e}"
    if style == "plain":
        return d
    if style == "plus":
        return f"+1 {a} {b} {e}"
    if style == "plus_tight":
        return f"+1{d}"
    if style == "spelled":
        return " ".join(WORDS[int(x)] for x in d)
    if style == "mixed":
        parts = [WORDS[int(x)] if i % 3 == 0 else x for i, x in enumerate(d)]
        return " ".join(parts)
    if style == "mixed_tight":
        return f"{WORDS[int(a[0])]} {WORDS[int(a[1])]} {WORDS[int(a[2])]} {b[:2]} {WORDS[int(b[2])]}{e[0]} {e[1:]}"
    if style == "fullwidth":
        return "".join(chr(0xFF10 + int(x)) if x.isdigit() else x for x in f"{a}-{b}-{e}")
    if style == "arabic":
        return "".join(chr(0x660 + int(x)) for x in d)
    if style == "circled":
        return "".join("⓪" if x == "0" else chr(0x2460 + int(x) - 1) for x in d)
    if style == "keycap":
        return "".join(x + "\ufe0f\u20e3" for x in d)
    if style == "zwsp":
        return "\u200b".join(d)
    if style == "spaced":
        return " ".join(d)
    if style == "dash_words":
        return f"{a} dash {b} dash {e}"
    if style == "letter_o":
        return f"{a}-{b}-{e}".replace("0", "O")
    if style == "slashes":
        return f"{a}/{b}/{e}"
    if style == "underscores":
        return f"{a}_{b}_{e}"
    if style == "stars":
        return f"{a}*{b}*{e}"
    raise ValueError(style)


PHONE_FRAMES = [
    "Text me at {n} anytime, easier than this app",
    "my cell is {n}",
    "Here's my number {n} just in case",
    "you can reach me on {n}",
    "Call me {n} if you need anything for Bella",
    "{n} is my personal line",
    "Save this: {n}",
    "Hi! It's Maya, my number is {n}",
    "If the app is down just call {n}",
    "Please text {n} for future walks",
    "my husband's number {n}, he can let you in",
    "whatsapp or text {n}",
]
PHONE_STYLES = ["dash", "dot", "space", "paren", "plain", "plus", "plus_tight", "spelled", "mixed", "mixed_tight",
                "fullwidth", "arabic", "circled", "keycap", "zwsp", "spaced", "dash_words", "slashes", "underscores",
                "stars"]
for i, style in enumerate(PHONE_STYLES):
    for k in range(3):
        frame = PHONE_FRAMES[(i * 3 + k) % len(PHONE_FRAMES)]
        v("phone", frame.format(n=fmt(digits10(), style)))

for text in [
    "call 555-8821 after 6",
    "my home phone is 434 1190",
    "text me on five five five, two one two, eight eight nine one",
    "It's 555 two one two 8891",
    "+44 7911 123456 is my UK mobile",
    "reach me on +61 412 345 678",
    "double five five, three one two, four four nine nine",
    "5 5 5 - 3 1 2 - 9 9 8 7",
    "five-five-five, two-one-two, three-four-five-six",
    "my num: 555.312.99.87",
    "(555)3129987 text me there",
    "Call my cell: 737 2O1 55O9",
    "five one two, eight six seven, five three oh nine",
]:
    v("phone", text)

# ------------------------------------------------------------------- emails
for text in [
    "email me at maya.chen@gmail.com",
    "My email is jenny.walks@yahoo.com if you want to book again",
    "send the invoice to tom_r@outlook.com",
    "it's jane at gmail dot com",
    "mayawalks at gmail",
    "contact: jdoe [at] icloud [dot] com",
    "maya(at)mayapets(dot)com",
    "reach me: maya_walks @ outlook . com",
    "email bella.mom at hotmail dot com for the schedule",
    "write to me: sitter.sam{at}proton{dot}me",
    "my email, bob dot smith at gmail dot com",
    "jess<at>petcare<dot>net works best",
    "Can you email me? lisa.k@comcast.net",
    "I'm on email: pawsbymaya@gmаil.com",  # Cyrillic а
    "Drop me a line: ＭＡＹＡ＠ＧＭＡＩＬ．ＣＯＭ",
    "carlos.petcare at yahoo dot com — message me there",
    "my personal email is kay.walks@icloud.com",
    "you can also send pics to rita1987@aol.com",
    "email: dogmom.anna at gmail",
    "ping me at maya+dogs@fastmail.com",
    "new email! sunny_tails@zoho.com",
    "reply to sam.b(at)gmail(dot)com instead",
]:
    v("email", text)

# --------------------------------------------------------------------- urls
for text in [
    "Book me here https://mayawalks.com/book",
    "check out www.happypawsbymaya.com",
    "my site is mayapetsitting.com, cheaper rates",
    "bit.ly/maya-walks has my calendar",
    "all my links: linktr.ee/mayawalks",
    "schedule with me at calendly.com/maya-chen",
    "tinyurl.com/walkwithmaya",
    "my website maya dot com",
    "see http://tomspets.net for direct booking",
    "I have a page: sittersam.squarespace.com",
    "just go to wa.me/15553129987",
    "t.me/mayawalks is quickest",
    "reviews at rover.com/members/maya",
    "book direct: pawsome-care.co",
    "HTTPS://MAYAWALKS.COM",
    "my new site is happytails dot pet",
    "find my rates at www dot samsitting dot com",
    "goo.gl/abc123 for my form",
    "instant booking on mayawalks.app",
    "see my availability on my site mayaspets.org",
]:
    v("url", text)

# ------------------------------------------------------------------- social
for text in [
    "follow me @maya.walks",
    "ig: mayawalks",
    "add me on snap, mayaw99",
    "my insta is @happypaws_maya",
    "find me on fb, Maya Chen pet care",
    "whatsapp me instead",
    "dm me on insta",
    "I'm on telegram as mayachen",
    "snap: dogmom_ana",
    "message me on facebook",
    "my tiktok is pawsbymaya",
    "add me on whatsapp pls",
    "@sam_sits on instagram",
    "hit me up on snap",
    "insta: @bellas.mom",
    "we can chat on signal if you add me on signal",
    "IG @tomwalksdogs",
    "do you have whatsapp?",
    "my fb is Ana Lopez",
    "kik me, user mayac",
    "follow me on tiktok for dog vids @mayawalks",
    "Let's move to viber",
]:
    v("social", text)

# ------------------------------------------------------------------ payment
for text in [
    "venmo me @Maya-Chen-7",
    "you can just venmo me next time",
    "my cashapp is $MayaWalks",
    "send it to $sittersam",
    "do you take cash app?",
    "zelle me and we skip the fees",
    "paypal.me/mayachen",
    "I can pay you on Venmo",
    "can I zelle you for next week?",
    "pay via paypal to maya",
    "Cash App: $tomtheWalker",
    "venmo @ana-lopez-22 for the extra walk",
    "I prefer zelle",
    "paypal me and I'll knock off 10%",
    "my venmo is mayac",
    "apple cash works too",
    "just send $20 to my cashapp",
    "I'll venmo you directly",
    "ve nmo? no — cashapp $anaL",
    "tip me on venmo!",
]:
    v("payment", text)

# ------------------------------------------------------------------ phrases
for text in [
    "text me directly next time",
    "it's cheaper if you book me directly",
    "we could skip the agency altogether",
    "let's do this outside the app",
    "I can give you my personal number",
    "book me outside the app and save 20%",
    "don't tell the agency but I can do it for less",
    "we can cut out the middleman",
    "call me directly instead",
    "let's keep it off the books",
    "I'll do private bookings for regulars",
    "what's your personal number?",
    "can you send me your cell",
    "t3xt me d1rectly",
    "message me directly for weekends",
    "avoid the booking fees by paying me",
    "pay me in cash next time",
    "contact me directly, not through here",
    "save my number for next time",
    "we can work directly with each other",
    "I do side gigs too, cheaper",
    "under the table is fine with me",
    "reach me at my other line",
    "what's your number? easier to text",
    "bypass the app and book with me",
    "no agency fee if we book privately",
    "I'm leaving the agency, can I keep you as a private client?",
    "give me your email and I'll send my rates",
    "Text me on my personal phone",
    "off the app it's $15 a walk",
]:
    v("off_platform_phrase", text)


# ------------------------------------------------------- more, mixed styles
def mixed_kind(text):
    """The main kind of a mixed-style message, for the per-kind report."""
    t = text.lower()
    if any(w in t for w in ["venmo", "cashapp", "zelle", "paypal"]):
        return "payment"
    if "@" in t and "." in t.split("@")[-1] or " at gmail" in t or "[at]" in t:
        return "email"
    if ".com" in t or " dot net" in t:
        return "url"
    if any(w in t for w in ["ig ", "snap", "tiktok", "facebook"]):
        return "social"
    if sum(ch.isdigit() for ch in t) >= 7 or "five" in t or "nine" in t or "seven" in t:
        return "phone"
    return "off_platform_phrase"


for text in [
    "Hey it's Jo! 512-555-0199 is my cell, text there from now on",
    "I'm switching agencies, save my number 737.555.0142",
    "Tell Ana to call me at (415) 555-0168 directly",
    "my number: +1-646-555-0173",
    "If you want Sunday walks call 3O3 555 O144",
    "5one2 5five5 01two3 text me",
    "seven three seven, five five five, zero one eight eight",
    "email is ana.lopez1988 at gmail dot com",
    "rates on my site, sitwithsam dot net",
    "ig @ana.walks.dogs",
    "just venmo @jo-sits, way easier",
    "We can do a private arrangement for the holidays",
    "My personal cell is better for last-minute stuff",
    "shoot me an email, maya [at] mayawalks [dot] com",
    "book directly with me and I'll waive the fee",
    "here's my snap: mayaw_walks",
    "paypal.me/sitwithsam for tips",
    "tiktok @bellathefrenchie, follow me",
    "text me at 5125550177 instead of the app",
    "Do you have my email? jo.sitter@outlook.com",
    "call me on my personal phone, 555 441 2290",
    "add me on facebook, Jo Martinez",
    "cashapp $JoMartinez22",
    "I'll send you my rates, what's your email?",
    "message me on whatsapp +1 512 555 0110",
    "go to mysitterjo.com to book without fees",
    "Let's skip the app fees, pay me on zelle",
    "My cousin's number is 212.555.0191 if I'm busy",
    "Nine one seven, five five five, two three four five",
    "It's 6 4 6 5 5 5 0 1 2 3",
]:
    v(mixed_kind(text), text)

# ------------------------------------------------------------- hard negatives
for text in [
    "I'll be there at 5:30",
    "See you tomorrow at 7:15am!",
    "Walk went great, back at 3:45",
    "Can you come between 9-11 or 1-3?",
    "Feed 2 cups of food at 8 and 6",
    "Max had 3 walks today, 45 min each",
    "Overnight is $80, walks are $25",
    "That'll be $145.50 for the week",
    "Tip was $20, thank you!",
    "We're at 1234 Maple Ave, Apt 5B",
    "The address is 4821 Elm St, Austin TX 78701",
    "Gate code is 4821#",
    "Door code 2580, then press enter",
    "The lockbox code is 1234 567",
    "Alarm code 555 1234, disarm within 30 seconds",
    "Garage keypad: 0427",
    "Wifi password is DogsRule2024",
    "Booked you for 11/24/2026",
    "Next visit 12/3 at 4pm",
    "Vacation is 2026-12-20 to 2026-12-28",
    "Max's microchip is 985112003456789",
    "Chip number 985 112 003 456 789 in case he gets out",
    "Order #11238847562 from Chewy should arrive Tuesday",
    "Rabies tag 2026-44812",
    "Insurance policy 44718822934 if the vet asks",
    "He weighs 42 lbs now",
    "Meds at 8am and 8pm, half a pill",
    "It's 72 degrees, no coat needed",
    "Text me when you get there",
    "Call me if Max seems sick",
    "Call me if anything comes up!",
    "I'll snap a few pics for you",
    "Bella is insta-famous lol",
    "No signal at the park, sorry for the delay",
    "meet @ the park at 4?",
    "The app says 5pm, is that right?",
    "Pay through the app like usual",
    "Tip added in the app, thanks!",
    "Please book the extra walk in the app",
    "Can you text me a photo when you're done?",
    "My phone died, sorry!",
    "Thanks so much!! 🐶❤️",
    "He loves the blue ball, it's by the door",
    "Leash is on the hook, poop bags in the drawer",
    "Room 305, the building buzzer is 305 too",
    "Unit 12, buzz 1203",
    "Bus 42 goes right by the park",
    "Done. Co-pay for the vet was covered",
    "e.g. the red harness, not the blue one",
    "Appointment a.m. or p.m.?",
    "Mr.Whiskers ate all his food",
    "photo.jpg didn't send, trying again",
    "He did his business 2x, all good",
    "Walked 2.5 miles today",
    "1/2 cup in the morning, 3/4 at night",
    "Water bowl refilled 3 times, it's hot",
    "Sept 14-21 we'll be away",
    "Thank you Maya! See you Monday",
    "Is 6:30 too late for the evening walk?",
    "Shots are due 3/15",
    "Feed at 7 12 and 5",
    "Could you do 4:15 instead of 4?",
    "Extra $10 for the bath is fine",
    "Total for December is $640",
    "The vet is at 2200 Lamar Blvd",
    "My sister will drop off the key at 6",
    "Fridge has 2 cans, use 1 per day",
    "She's 11 years old, go slow on stairs",
    "2 dogs, 1 cat, 3 fish, lol",
    "Walk route: 5th St to 12th St and back",
    "The trash goes out Tuesday at 7",
    "Back door sticks, push hard",
    "Doorman's name is Luis",
    "I'll pick up 3 bags of food at Petco",
    "Call the vet if she doesn't eat by noon",
    "Pickup window is 10:00-10:30",
    "The code changed to 7 7 1 9",
    "Booked through the app for Friday",
    "Please message me here if anything changes",
    "We'll be at my mom's, same time zone",
    "The kennel is 24x36 inches",
    "Her collar size is 14-18 in",
    "He's on 25mg twice a day",
    "The app charged me twice, can you check?",
    "Happy Thanksgiving! 🦃",
    "Can we move Tuesday to Wednesday?",
    "Lights are on a timer, 6pm-11pm",
    "Thermostat stays at 68",
    "Litter box cleaned ✅",
    "Ran into the neighbor at 402, nice dog",
    "She got 5 treats, spoiled girl",
    "Walks at 8, 12:30 and 5:30 please",
    "I'm flying out on flight 1472 at 6am",
    "Confirmation number 4417882 for the groomer",
    "Wifi: PetNet_5G, password 8812 7766",
    "Top floor, 3rd door on the left",
    "It's apartment 4C at 310 Pine",
    "My mom will be there 2-4pm",
    "Our new address: 889 Oak Lane, 78745",
    "Got it, same as last time 👍",
    "Bella threw up once, seems fine now",
    "He's scared of the vacuum",
    "Crate him if you leave for more than 2 hours",
    "The spare key is under the 3rd pot",
    "Please text me a pic of the food bowl",
    "I'll be in a meeting from 1 to 3",
    "Sure, see you at 9!",
    "Vet visit cost $212.40, receipt on the counter",
    "Check in at 07:30 and 19:30 please",
    "12 days total, Dec 20-31",
    "We're in the blue house, number 17",
    "Can you do 3 visits a day for 4 days?",
    "Yes, the emergency vet is on the fridge",
    "Cat food brand: Purina One, 1 pouch",
    "He's 98% better today",
    "Pet insurance claim #2026-11-4477",
    "Call me when you leave please",
    "No need to call, just text here",
    "Sent the payment in the app",
    "I left cash for the dog treats on the counter",
    "The snap lock on the gate is broken",
    "He snapped at the mailman, careful",
    "Bring the fb (food bag) inside please",
    "Left at 5, home at 5:45",
    "Ok! 10-4 😄",
    "Elevator code *1234",
    "Walk count this week: 14",
    "Temp was 101.5, vet says normal",
    "Invoice 20261124-07 paid",
    "See you at the dog park on 5th",
    "The sitter before you was great too",
    "He sleeps 10pm-6am",
    "I'll be at the vet at 10:15",
    "Can you meet at the front desk at 3?",
    "Her name tag says 'Bella 4 ever'",
    "The game is at 7, then home by 10",
    "Parking spot 27 is ours",
    "Channel 4 for the cartoons lol, he likes TV",
    "Dinner is 1 cup + 1 spoon of pumpkin",
    "Walk lasted 30 min, 1.2 miles",
    "Our flight lands at 11:40pm",
    "We have a doorbell camera, don't worry",
    "Text me the photo here, thanks!",
    "I'm so glad we found this app!",
    "Just booked another week in the app 🎉",
    "He's lucky #7 lol",
    "Please refill the water at 2",
    "Vaccines: 3 year rabies, 1 year DHPP",
    "Grooming at Petsmart at 11",
    "Bring him in by 6 or he'll cry",
    "Sorry, running 5 min late",
    "That works for me!",
    "Two scoops, not three",
    "Apt 2210, 22nd floor",
    "The dog door is locked at night",
    "1 walk only tomorrow please",
    "She needs eye drops 3x/day",
    "Thanks for the update Maya",
    "It's our 10th booking with you 🥳",
    "He's 6 months old",
    "Feed 150g dry food",
    "The key fob opens door 2",
    "Back by 4:30 at the latest",
    "Could you water the plants too? Extra $5",
    "See you 11/28 at 8am!",
    "The tank light goes on at 9",
    "We'll pay the holiday rate in the app",
    "At 5 he gets his pill in cheese",
    "Ok I'm at the door",
    "He's at the groomer till 2",
    "Meet at 10 at the corner of 5th and Main",
    "Nope, all good at home",
    "She's 15.5 lbs after the diet",
    "Every 4-6 hours is fine",
    "I'll send the schedule in the app",
    "Door code is 8 8 2 1 9 3 0",
]:
    c(text)


# ------------------------------------------------------ more hard negatives
for text in [
    "Dinner at 6, bedtime at 9:30",
    "He ate 1.5 cans, saving the rest",
    "$35 for the holiday visit is fine",
    "Flight AA 2231 lands 4:05pm",
    "Our zip changed to 78702",
    "Parking garage level 3, spot 3-114",
    "Walk him 20-30 min max, his hip",
    "Call me Mrs. Lopez, or Ana is fine!",
    "He did 2 poops and 3 pees lol",
    "Can you be there at 4 sharp?",
    "I put $40 on the counter for the groceries I asked for",
    "No treats after 8pm",
    "Week of 11/30: Mon, Wed, Fri",
    "Appointment with Dr. Patel 12/2 10:00",
    "Thank you!! 5 stars in the app ⭐⭐⭐⭐⭐",
    "Sorry for the late reply, crazy day",
    "It's 555 steps to the park, I counted lol",
    "Building code is 1-2-3-4-5-6-7",
    "The gate is 7 digits: 8 1 2 2 3 4 5",
    "Alarm: 1 9 7 3 then OFF",
    "Feeding chart: 7am 1 cup, 12pm 0.5 cup, 6pm 1 cup",
    "Her tag number is 2026-0415",
    "Lot 44, space 12",
    "He's on 2 meds now, 1 each morning",
    "Sunday 2-4 works great",
    "Thanks for booking through the app!",
    "The app lets you add notes, I added his meds",
    "Rate is $22/walk in the app",
    "Bus 7 or 7A both stop there",
    "I'll text you here when I land",
    "Please don't call, text here is best",
    "My email is on file with the company",
    "Message me here anytime",
    "We found you on the app and love you!",
    "Snap peas are his favourite snack",
    "He's a total ham on camera",
    "Please book me for Christmas in the app",
    "Can you also feed the fish? 2 pinches",
    "Vet emergency line is on the fridge magnet",
    "It's fine, 10 min late is ok",
    "Ran 3.1 miles with him today!",
    "Meet at gate 4 of the park",
    "Room temp should stay around 70-72",
    "Pick up is 5 pm at the daycare, room 12",
    "ok see you then :)",
]:
    c(text)

with open(__file__.replace("make_policy_corpus.py", "policy_corpus.tsv"), "w", encoding="utf-8") as f:
    f.write("# label\tkind\ttext  (generated by make_policy_corpus.py; edit that, not this)\n")
    for label, kind, text in rows:
        assert "\t" not in text and "\n" not in text
        f.write(f"{label}\t{kind}\t{text}\n")
viol = sum(1 for r in rows if r[0] == "violation")
print(f"{len(rows)} messages: {viol} violations, {len(rows) - viol} clean")
