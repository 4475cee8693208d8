"""Article text for the hostile site: short original news paragraphs (written for these tests, no third-party
text), in several languages so charset faults show as missing or garbled distinctive words.

Each language has `WORDS`: distinctive words that must appear, spelled right, in the record's text.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    lang: str
    title: str
    paragraphs: tuple[str, ...]
    words: tuple[str, ...]  # must appear in the record's text, exactly


ENGLISH = Text("en", "Harbour repairs to start in spring", (
    "The harbour authority confirmed on Tuesday that repairs to the northern breakwater will begin in early "
    "spring, after engineers found that winter storms had washed away a section of the stone armour protecting "
    "the fishing fleet's moorings.",
    "Council members approved an emergency grant of four hundred thousand pounds, although several of them "
    "warned that the final bill could be twice as high once divers have surveyed the foundations below the "
    "waterline.",
    "Fishermen who gathered outside the town hall said the delay had already cost them weeks of work, because "
    "the most exposed berths have been closed since the January gales and boats have been forced to land their "
    "catch further up the coast.",
    "A spokesperson for the contractor said the work would be carried out in stages so that at least half of "
    "the harbour stays open, and that night-time working would be kept to a minimum to spare residents of the "
    "old quarter.",
    "Local historians pointed out that the breakwater was first built in 1872 with granite from a quarry that "
    "closed decades ago, and asked the council to keep as much of the original stonework as the engineers "
    "consider safe.",
), ("breakwater", "moorings", "granite"))

RUSSIAN = Text("ru", "Совет утвердил реконструкцию набережной", (
    "Городской совет в среду утвердил план реконструкции набережной, которая сильно пострадала во время "
    "весеннего паводка. По словам мэра, работы начнутся в июне и продлятся до конца осени.",
    "Жители прибрежных кварталов попросили депутатов предусмотреть новые скамейки, освещение и велосипедную "
    "дорожку вдоль реки. Подрядчик обещал сохранить старые чугунные фонари и гранитные ступени.",
    "Финансирование проекта разделят между городским и областным бюджетами. Депутаты потребовали ежемесячно "
    "отчитываться о ходе работ и публиковать все договоры на сайте администрации.",
), ("набережной", "чугунные", "Подрядчик"))

GERMAN = Text("de", "Brücke an der Mühlenstraße wird gesperrt", (
    "Die Stadtverwaltung kündigte am Mittwoch an, dass die Brücke über die Mühlenstraße im Sommer für drei "
    "Monate gesperrt wird. Pendler müssen sich auf längere Fahrzeiten einstellen.",
    "Der Bürgermeister sagte, die Sanierung sei überfällig: Gutachter hätten schon vor fünf Jahren Risse im "
    "Beton festgestellt. Für Fußgänger und Radfahrer soll eine Behelfsbrücke gebaut werden.",
    "Die Geschäftsleute in der Altstadt befürchten Umsatzeinbußen und fordern zusätzliche Parkplätze am "
    "Stadtrand, von denen aus ein Pendelbus in die Innenstadt fahren könnte.",
), ("Mühlenstraße", "Bürgermeister", "Fußgänger"))

FRENCH = Text("fr", "La médiathèque rouvrira à la rentrée", (
    "Le conseil municipal a voté jeudi soir la rénovation complète de la médiathèque, fermée depuis l’incendie "
    "de l’été dernier. Les travaux devraient durer dix-huit mois et coûter près de quatre millions d’euros.",
    "Selon l’adjointe à la culture, les collections sauvées des flammes seront prêtées aux écoles du quartier en "
    "attendant la réouverture, prévue pour la rentrée. « Rien ne sera perdu », a-t-elle promis.",
    "Les habitants réclament depuis des années des horaires élargis le dimanche ; la nouvelle équipe a "
    "annoncé qu’un essai serait mené dès l’ouverture du bâtiment rénové.",
), ("médiathèque", "réouverture", "l’incendie"))

JAPANESE = Text("ja", "港の防波堤改修計画を承認", (
    "市議会は水曜日、老朽化した港の防波堤を改修する計画を承認した。工事は来年の春に始まり、約二年かかる見込みだ。",
    "地元の漁業関係者は、冬の嵐で係留施設が被害を受けたため、早期の着工を求めていた。市は工事期間中も港の半分を使えるようにすると説明した。",
    "事業費は国の補助金と市の予算でまかなう。市長は記者会見で、住民への説明会を来月開く考えを示した。",
), ("防波堤", "漁業関係者", "説明会"))

CHINESE = Text("zh", "老城区排水系统将全面改造", (
    "市政府周三宣布，将在明年春季开始对老城区的排水系统进行全面改造。官员表示，工程预计耗时两年，期间部分街道将实行交通管制。",
    "居民代表在听证会上要求政府公开施工计划，并尽量减少夜间施工对附近学校的影响。",
    "据介绍，改造完成后，老城区的防洪能力将明显提高，暴雨期间路面积水的问题有望得到解决。",
), ("排水系统", "听证会", "防洪能力"))

GREEK = Text("el", "Ανακαινίζεται η παλιά ψαραγορά", (
    "Το δημοτικό συμβούλιο ενέκρινε την Τρίτη την ανακαίνιση της παλιάς ψαραγοράς, η οποία είχε κλείσει μετά "
    "τον σεισμό. Οι εργασίες αναμένεται να διαρκέσουν έναν χρόνο.",
    "Οι έμποροι της περιοχής ζήτησαν προσωρινούς πάγκους στην πλατεία, ώστε να συνεχίσουν να πουλούν κατά τη "
    "διάρκεια των εργασιών.",
    "Ο δήμαρχος δήλωσε ότι το κτίριο θα διατηρήσει την αρχική του πρόσοψη και ότι θα προστεθεί ένας χώρος "
    "εκθέσεων για την ιστορία του λιμανιού.",
), ("ψαραγοράς", "πάγκους", "λιμανιού"))

# Mojibake and replacement characters that show a wrong decoding in a record's text.
GARBLE_MARKS = ("\ufffd", "Ã", "Â", "Ð", "Ñ", "â€", "ã\x81", "縺")
