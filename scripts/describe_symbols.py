"""Give every symbol in ``assets/market/symbols.json`` a kid-level description in Korean and English.

Run by hand after adding symbols (``python scripts/describe_symbols.py``); the app never runs it. A
description written by hand stays; a missing one is made from the company's sector, naming the
company ("셀트리온제약은 병을 고치는 약을 만드는 제약회사예요." / "Yuhan makes medicines …"). A sector
text says only what every company of that sector does, so it is honest for each of them.

Directory format version 2: ``description`` (Korean, as in version 1) and ``description_en``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sync.korean import attach  # noqa: E402

SYMBOLS = Path(__file__).resolve().parents[1] / "assets" / "market" / "symbols.json"
VERSION = 2

# sector → (Korean after "<name>은(는) ", English after "<name> ")
SECTORS: dict[str, tuple[str, str]] = {
    "지주회사": (
        "여러 계열 회사의 주식을 가지고 그 회사들을 이끄는 지주회사예요.",
        "is a holding company: it owns shares of a group of companies and steers them.",
    ),
    "제약": (
        "병을 고치는 약을 만드는 제약회사예요.",
        "is a drug company: it makes medicines that treat illnesses.",
    ),
    "금융": (
        "은행처럼 돈을 맡아 주고 빌려주는 금융회사예요.",
        "is a financial company: it keeps people's money and lends money, like a bank.",
    ),
    "바이오": (
        "살아 있는 세포로 새로운 약과 치료법을 연구하는 바이오 회사예요.",
        "is a biotech company: it uses living cells to research new medicines and treatments.",
    ),
    "반도체장비": (
        "반도체 칩을 만드는 공장에서 쓰는 기계를 만들어요.",
        "makes the machines that chip factories use to make semiconductors.",
    ),
    "화학": (
        "플라스틱, 섬유 같은 물건의 원료가 되는 화학 제품을 만들어요.",
        "makes chemicals that become the raw materials of things like plastics and fabrics.",
    ),
    "반도체": (
        "전자기기의 두뇌와 기억 장치가 되는 반도체 칩을 만들거나 설계해요.",
        "designs or makes semiconductor chips, the brains and memory of electronic devices.",
    ),
    "소프트웨어": (
        "회사와 사람들이 쓰는 컴퓨터 프로그램(소프트웨어)을 만들어요.",
        "makes software: the computer programs that companies and people use.",
    ),
    "2차전지소재": (
        "전기차 배터리에 들어가는 재료를 만들어요.",
        "makes the materials that go into electric-car batteries.",
    ),
    "유통": (
        "여러 회사의 물건을 모아 가게나 온라인에서 파는 유통회사예요.",
        "is a retailer: it sells many companies' products in stores or online.",
    ),
    "식품": ("우리가 먹는 음식과 과자를 만들어요.", "makes food and snacks that people eat."),
    "게임": (
        "컴퓨터와 스마트폰으로 하는 게임을 만들어요.",
        "makes games people play on computers and phones.",
    ),
    "인터넷": (
        "사람들이 인터넷에서 쓰는 서비스를 운영해요.",
        "runs services that people use on the internet.",
    ),
    "보험": (
        "사고나 병이 생겼을 때 돈을 보태 주는 보험을 파는 회사예요.",
        "sells insurance: it helps pay when an accident or illness happens.",
    ),
    "자동차": ("자동차를 만들어 팔아요.", "makes and sells cars."),
    "전자부품": ("전자기기 안에 들어가는 부품을 만들어요.", "makes parts that go inside electronic devices."),
    "건설": (
        "아파트, 건물, 도로 같은 것을 짓는 건설회사예요.",
        "is a builder: it builds apartments, buildings and roads.",
    ),
    "소재": (
        "여러 제품에 쓰이는 특별한 재료를 만들어요.",
        "makes special materials that other products are made from.",
    ),
    "자동차부품": ("자동차에 들어가는 부품을 만들어요.", "makes parts that go into cars."),
    "패션": ("옷과 패션 상품을 만들어 팔아요.", "makes and sells clothes and fashion goods."),
    "반도체소재": (
        "반도체 칩을 만들 때 쓰는 재료를 만들어요.",
        "makes materials used to make semiconductor chips.",
    ),
    "에너지": (
        "석유, 가스 같은 에너지를 만들거나 공급해요.",
        "produces or supplies energy such as oil and gas.",
    ),
    "항공": (
        "비행기로 사람과 짐을 실어 나르는 항공사예요.",
        "is an airline: it flies people and goods by plane.",
    ),
    "조선": (
        "큰 배를 만들거나 배에 들어가는 설비를 만들어요.",
        "builds big ships or the machines that go into them.",
    ),
    "기계": (
        "공사장, 농장, 건물에서 쓰는 기계를 만들어요.",
        "makes machines used on building sites, farms and in buildings.",
    ),
    "증권": (
        "사람들이 주식을 사고팔 수 있게 도와주는 증권회사예요.",
        "is a brokerage: it helps people buy and sell stocks.",
    ),
    "미디어": (
        "방송, 음악, 영상 같은 콘텐츠를 만들거나 보여 줘요.",
        "makes or shows content such as TV, music and videos.",
    ),
    "통신": ("휴대폰과 인터넷 통신 서비스를 제공해요.", "provides phone and internet service."),
    "물류": (
        "물건을 창고에 보관하고 필요한 곳까지 실어 날라요.",
        "stores goods and delivers them where they need to go.",
    ),
    "전기장비": (
        "전기를 보내고 나누는 데 쓰는 장비(변압기 같은)를 만들어요.",
        "makes equipment, such as transformers, that carries and shares out electricity.",
    ),
    "방산": (
        "나라를 지키는 데 쓰는 무기와 장비를 만들어요.",
        "makes weapons and equipment that countries use for defence.",
    ),
    "화장품": ("화장품을 만들어요.", "makes cosmetics."),
    "여행": (
        "여행 상품이나 숙소 예약을 도와주는 여행 회사예요.",
        "is a travel company: it helps people book trips and places to stay.",
    ),
    "헬스케어": (
        "약, 의료 기기, 건강 보험 같은 건강 관련 사업을 해요.",
        "works in health care: medicines, medical devices or health insurance.",
    ),
    "외식": ("음식점과 카페를 운영해요.", "runs restaurants and cafés."),
    "IT·하드웨어": (
        "컴퓨터, 서버, 저장 장치 같은 기계를 만들어요.",
        "makes computers, servers and storage devices.",
    ),
    "상사": (
        "여러 나라와 물건을 사고파는 무역을 하는 회사예요.",
        "is a trading company: it buys and sells goods with many countries.",
    ),
    "전력": (
        "전기를 만들거나 발전소를 짓고 관리해요.",
        "makes electricity, or builds and looks after power plants.",
    ),
    "IT서비스": (
        "회사들의 컴퓨터 시스템을 만들어 주고 관리해요.",
        "builds and runs computer systems for other companies.",
    ),
    "태양광": (
        "햇빛으로 전기를 만드는 태양광 설비를 만들어요.",
        "makes solar equipment that turns sunlight into electricity.",
    ),
    "철강": ("건물, 자동차, 배에 쓰이는 철을 만들어요.", "makes steel for buildings, cars and ships."),
    "레저": (
        "카지노, 리조트 같은 놀이와 여가 시설을 운영해요.",
        "runs casinos, resorts and other places for leisure.",
    ),
    "의료기기": ("병원에서 쓰는 의료 기기를 만들어요.", "makes medical devices that hospitals use."),
    "통신장비": (
        "인터넷과 통신망에 쓰이는 장비를 만들어요.",
        "makes equipment for internet and phone networks.",
    ),
    "해운": (
        "큰 배로 바다 건너 물건을 실어 나르는 해운회사예요.",
        "is a shipping company: its big ships carry goods across the sea.",
    ),
    "전선": (
        "전기와 통신을 보내는 전선과 케이블을 만들어요.",
        "makes wires and cables that carry electricity and signals.",
    ),
    "건자재": (
        "집과 건물을 지을 때 쓰는 재료(창호, 바닥재, 페인트 같은)를 만들어요.",
        "makes building materials such as windows, floors and paint.",
    ),
    "포장재": ("물건을 담고 싸는 포장재를 만들어요.", "makes packaging that holds and wraps products."),
    "시멘트": ("건물을 지을 때 쓰는 시멘트를 만들어요.", "makes cement for buildings."),
    "타이어": ("자동차 타이어를 만들어요.", "makes car tyres."),
    "음료": ("마실 것(음료)을 만들어요.", "makes drinks."),
    "결제": (
        "카드나 온라인으로 돈을 낼 수 있게 해 주는 결제 회사예요.",
        "is a payments company: it lets people pay by card or online.",
    ),
    "생활용품": (
        "치약, 세제, 샴푸 같은 생활용품을 만들어요.",
        "makes everyday products such as toothpaste, soap and shampoo.",
    ),
    "보안": (
        "해커로부터 컴퓨터와 회사를 지키는 보안 프로그램을 만들어요.",
        "makes security software that protects computers and companies from hackers.",
    ),
    "디스플레이": (
        "TV와 스마트폰의 화면(디스플레이)을 만들어요.",
        "makes screens (displays) for TVs and phones.",
    ),
    "화장품·생활용품": (
        "화장품과 치약, 샴푸 같은 생활용품, 음료를 만들어요.",
        "makes cosmetics, everyday products like toothpaste and shampoo, and drinks.",
    ),
    "2차전지": (
        "충전해서 다시 쓰는 배터리에 들어가는 부품을 만들어요.",
        "makes parts for rechargeable batteries.",
    ),
    "담배·식품": (
        "담배와 홍삼 같은 건강식품을 만들어요.",
        "makes cigarettes and health foods such as red ginseng.",
    ),
    "가스": (
        "집과 공장에서 쓰는 천연가스를 들여와 공급해요.",
        "imports natural gas and supplies it to homes and factories.",
    ),
    "정유": (
        "원유로 휘발유, 경유 같은 연료를 만들어요.",
        "refines crude oil into fuels such as petrol and diesel.",
    ),
    "게임·IT": (
        "게임과 결제, 클라우드 같은 인터넷 서비스를 해요.",
        "makes games and runs internet services such as payments and cloud.",
    ),
    "화학·태양광": ("화학 제품과 태양광 패널을 만들어요.", "makes chemicals and solar panels."),
    "수소": (
        "수소로 전기를 만드는 연료전지를 만들어요.",
        "makes fuel cells that turn hydrogen into electricity.",
    ),
    "섬유": ("옷감에 쓰이는 실(섬유)을 만들어요.", "makes the fibres that fabrics are made of."),
    "비철금속": ("아연 같은 철이 아닌 금속을 만들어요.", "makes metals other than iron, such as zinc."),
    "비철금속·방산": (
        "구리 같은 금속 제품과 탄약을 만들어요.",
        "makes copper and other metal products, and ammunition.",
    ),
    "화학·섬유": (
        "화학 제품과 섬유, 타이어에 들어가는 재료를 만들어요.",
        "makes chemicals, fibres and materials for tyres.",
    ),
    "배터리": ("자동차에 들어가는 배터리를 만들어요.", "makes batteries for cars."),
    "풍력": (
        "바람으로 전기를 만드는 풍력 발전기의 탑을 만들어요.",
        "makes the towers of wind turbines that turn wind into electricity.",
    ),
    "식품·화학": (
        "설탕, 밀가루 같은 식품 재료와 화학 제품을 만들어요.",
        "makes food ingredients such as sugar and flour, and chemicals.",
    ),
    "호텔·면세점": ("호텔과 면세점을 운영해요.", "runs hotels and duty-free shops."),
    "가구": (
        "부엌 가구와 집에 쓰는 가구를 만들어 팔아요.",
        "makes and sells kitchens and furniture for homes.",
    ),
    "방송": ("TV 방송국을 운영해요.", "runs a TV broadcaster."),
    "광고": ("광고를 만드는 회사예요.", "is an advertising company: it makes ads."),
    "인프라": (
        "도로, 다리, 터널 같은 시설에 투자하는 펀드예요.",
        "is a fund that invests in roads, bridges and tunnels.",
    ),
    "제지": ("종이를 만들어요.", "makes paper."),
    "환경": (
        "공장에서 나오는 오염 물질을 줄이고 재활용하는 환경 사업을 해요.",
        "works on the environment: it cleans up factory pollution and recycles.",
    ),
    "진단": (
        "병이 있는지 알아보는 진단 검사 도구를 만들어요.",
        "makes diagnostic tests that find out whether someone is ill.",
    ),
    "반도체부품": (
        "반도체 칩이 잘 작동하는지 검사할 때 쓰는 부품을 만들어요.",
        "makes parts used to test whether semiconductor chips work.",
    ),
    "검사장비": (
        "전자 부품이 잘 만들어졌는지 3D로 검사하는 장비를 만들어요.",
        "makes machines that check electronic parts in 3D.",
    ),
    "장비": (
        "공장을 자동으로 움직이게 하는 설비를 만들어요.",
        "makes equipment that runs factories automatically.",
    ),
    "디스플레이소재": (
        "스마트폰 화면(OLED)에 쓰이는 재료를 만들어요.",
        "makes materials for phone screens (OLED).",
    ),
    "2차전지장비": (
        "배터리를 만드는 공장에서 쓰는 장비를 만들어요.",
        "makes machines for battery factories.",
    ),
    "2차전지재활용": (
        "다 쓴 배터리에서 금속을 뽑아 다시 쓰게 해요.",
        "recycles used batteries by taking the metals out of them.",
    ),
    "로봇": ("로봇과 로봇 부품을 만들어요.", "makes robots and robot parts."),
    "LED": ("빛을 내는 작은 부품(LED)을 만들어요.", "makes LEDs, small parts that give light."),
    "조선기자재": ("배에 들어가는 부품과 장비를 만들어요.", "makes parts and equipment for ships."),
    "의류": ("운동복과 옷을 만들어 팔아요.", "makes and sells sportswear and clothes."),
    "양자컴퓨터": (
        "아주 새로운 방식의 컴퓨터인 양자컴퓨터를 만들어요.",
        "makes quantum computers, a very new kind of computer.",
    ),
    "모빌리티": (
        "스마트폰으로 택시와 음식 배달을 부를 수 있는 서비스를 운영해요.",
        "runs an app to call a ride or order food delivery by phone.",
    ),
    "호텔": ("세계 여러 곳에서 호텔을 운영해요.", "runs hotels around the world."),
    "배달": (
        "스마트폰으로 음식을 주문하면 배달해 주는 서비스를 운영해요.",
        "runs an app that delivers food people order on their phones.",
    ),
    "항공우주": ("비행기 엔진을 만들어요.", "makes aircraft engines."),
    "산업재": (
        "공장, 건물, 비행기에 쓰이는 여러 장비를 만들어요.",
        "makes many kinds of equipment for factories, buildings and aircraft.",
    ),
    "담배": ("담배를 만들어요.", "makes cigarettes."),
    "금광": ("땅속에서 금을 캐는 광산회사예요.", "is a mining company: it digs gold out of the ground."),
    "구리": ("땅속에서 구리를 캐는 광산회사예요.", "is a mining company: it digs copper out of the ground."),
    # sectors whose companies all have hand-written texts today; a new company gets these
    "반도체·전자": ("반도체와 전자제품을 만들어요.", "makes semiconductors and electronics."),
    "전자": ("전자제품을 만들어요.", "makes electronics."),
    "엔터테인먼트": (
        "가수와 배우가 속해 음악과 공연을 만드는 회사예요.",
        "is an entertainment company: its singers and actors make music and shows.",
    ),
    "카드": ("신용카드 회사예요.", "is a credit-card company."),
    "방산·항공우주": ("비행기와 나라를 지키는 장비를 만들어요.", "makes aircraft and defence equipment."),
    "방산·철도": ("기차와 나라를 지키는 장비를 만들어요.", "makes trains and defence equipment."),
    "전력기계": ("발전소 설비를 만들어요.", "makes power-plant equipment."),
    "영화관": ("영화관을 운영해요.", "runs cinemas."),
    "생활가전": ("집에서 쓰는 가전제품을 만들거나 빌려줘요.", "makes or rents out home appliances."),
    "건설·상사": ("건물을 짓고 무역을 해요.", "builds buildings and trades goods."),
    "유통·클라우드": ("온라인 쇼핑몰과 클라우드 서비스를 운영해요.", "runs online shops and cloud services."),
    "의류·신발": ("운동화와 운동복을 만들어요.", "makes sports shoes and clothes."),
}
GENERIC = ("주식시장에 상장된 회사예요.", "is a company listed on the stock market.")

# English for the descriptions written by hand in Korean (same facts, same level)
HAND_EN: dict[str, str] = {
    "005930.KS": "Korea's biggest company: it makes smartphones, memory chips and TVs.",
    "000660.KS": "Makes the memory chips that go into computers and AI servers.",
    "373220.KS": "Makes batteries for electric cars.",
    "207940.KS": "Makes biotech medicines for other drug companies.",
    "005380.KS": "Makes cars and sells them all over the world.",
    "000270.KS": "Makes cars. It belongs to the same family of companies as Hyundai Motor.",
    "068270.KS": "Makes biotech medicines and copies of them (biosimilars).",
    "035420.KS": "Runs internet services such as search, shopping and webtoons.",
    "035720.KS": "Runs the KakaoTalk messenger and many other internet services.",
    "005490.KS": "A holding company that owns POSCO, which makes steel.",
    "051910.KS": "Makes the raw materials for plastics and for batteries.",
    "006400.KS": "Makes batteries for electric cars and electronic devices.",
    "028260.KS": "Builds buildings, trades goods, and also sells clothes and runs resorts.",
    "005935.KS": "Samsung Electronics' preferred shares: no vote, but a slightly bigger dividend.",
    "032830.KS": "Sells life insurance.",
    "000810.KS": "Sells car and fire insurance.",
    "009150.KS": "Makes small parts for electronic devices (MLCCs, camera modules).",
    "018260.KS": "Builds and runs computer systems and cloud services for companies.",
    "010140.KS": "Builds big ships (LNG carriers, container ships).",
    "016360.KS": "A brokerage that helps people trade stocks.",
    "029780.KS": "A credit-card company.",
    "028050.KS": "Designs and builds factories and plants.",
    "030000.KS": "An advertising company: it makes ads.",
    "012750.KS": "Keeps buildings safe with security systems and guards.",
    "105560.KS": "A financial holding company that owns KB Kookmin Bank.",
    "055550.KS": "A financial holding company that owns Shinhan Bank.",
    "086790.KS": "A financial holding company that owns Hana Bank.",
    "323410.KS": "An internet bank you use on your smartphone.",
    "012330.KS": "Makes car parts.",
    "066570.KS": "Makes home appliances such as fridges, washing machines and TVs.",
    "017670.KS": "Provides mobile phone service.",
    "030200.KS": "Provides mobile phone and internet service.",
    "015760.KS": "Supplies electricity to all of Korea.",
    "007070.KS": "Runs the GS25 convenience stores.",
    "259960.KS": "The company that made the game PUBG: Battlegrounds.",
    "036570.KS": "Makes online games such as Lineage.",
    "251270.KS": "Makes mobile games.",
    "352820.KS": "The company of BTS and many other singers.",
    "011200.KS": "A shipping company: its big container ships carry goods.",
    "003490.KS": "Korea's biggest airline.",
    "000120.KS": "Delivers parcels and handles logistics.",
    "329180.KS": "One of the shipyards that build the most ships in the world.",
    "012450.KS": "Makes aircraft engines, self-propelled guns and parts for space rockets.",
    "047810.KS": "Makes aeroplanes and helicopters.",
    "064350.KS": "Makes trains (KTX) and tanks.",
    "034020.KS": "Makes equipment for power plants.",
    "010130.KS": "Makes metals such as zinc, lead, gold and silver.",
    "042700.KS": "Makes machines that are used to make chips.",
    "161390.KS": "Makes car tyres.",
    "090430.KS": "Makes cosmetics.",
    "097950.KS": "Makes food such as Hetbahn rice and Bibigo dumplings.",
    "079160.KS": "Runs CGV cinemas.",
    "271560.KS": "Makes snacks such as Choco Pie and Poca Chips.",
    "004370.KS": "The company that makes Shin Ramyun and Saeukkang shrimp crackers.",
    "007310.KS": "The company that makes curry and Jin Ramen.",
    "003230.KS": "The company that makes Buldak spicy noodles.",
    "280360.KS": "Makes snacks and ice cream such as Pepero and World Cone.",
    "005300.KS": "Makes drinks such as Chilsung Cider.",
    "005180.KS": "Makes banana milk and ice cream.",
    "139480.KS": "Runs the E-Mart supermarkets.",
    "282330.KS": "Runs the CU convenience stores.",
    "021240.KS": "Rents out water purifiers and air purifiers.",
    "247540.KQ": "Makes cathode materials for electric-car batteries.",
    "263750.KQ": "The company that made the game Black Desert.",
    "194480.KQ": "The company that made the Cookie Run games.",
    "041510.KQ": "The company of singers such as aespa and NCT.",
    "035900.KQ": "The company of TWICE and Stray Kids.",
    "122870.KQ": "The company of BLACKPINK.",
    "253450.KQ": "Makes TV dramas.",
    "053800.KQ": "A security company that made the V3 antivirus program.",
    "277810.KQ": "Makes robots that walk like people, and robots that work beside people.",
    "AAPL": "An American company that makes the iPhone, MacBook and iPad.",
    "NVDA": "Makes graphics chips (GPUs) used for games and artificial intelligence.",
    "MSFT": "Makes Windows, Excel and the Xbox game console.",
    "GOOGL": "Runs Google search and YouTube.",
    "GOOG": "Class C shares (no vote) of Alphabet, Google's parent company.",
    "AMZN": "Runs an online shop and cloud services (AWS).",
    "META": "Runs Facebook, Instagram and WhatsApp.",
    "TSLA": "Makes electric cars and batteries.",
    "TSM": "A Taiwanese company that makes chips other companies design.",
    "BRK-B": "An investment company led by Warren Buffett.",
    "V": "Runs a network for credit-card payments.",
    "WMT": "The biggest supermarket chain in the United States.",
    "KO": "The company that makes Coca-Cola.",
    "MCD": "Runs McDonald's hamburger restaurants.",
    "NKE": "Makes sports shoes and sportswear.",
    "DIS": "Owns Mickey Mouse, Marvel and Disney+.",
    "NFLX": "A streaming service where you can watch films and series.",
    "ADBE": "Makes drawing and video programs such as Photoshop.",
    "U": "Makes the Unity engine, a tool for making games.",
    "RBLX": "Runs Roblox, where friends make games and play together.",
    "AMD": "Makes chips (CPUs, GPUs) for computers and game consoles.",
    "INTC": "Makes the brains of computers (CPUs).",
    "ASML": "A Dutch company that makes the machines that print patterns onto chips.",
    "CPNG": "A shopping company in Korea with Rocket Delivery. It is listed in the US.",
    "SONY": "A Japanese company that makes the PlayStation and cameras.",
    "BA": "Makes aeroplanes.",
    "MMM": "The company that made Post-it notes and Scotch tape.",
}


def describe(item: dict[str, object]) -> tuple[str, str]:
    ko_phrase, en_phrase = SECTORS.get(str(item.get("sector", "")), GENERIC)
    name_ko, name_en = str(item["name_ko"]), str(item["name_en"] or item["name_ko"])
    written = str(item.get("description") or "")
    if written.endswith(ko_phrase):  # made by this script before: made again (a fixed particle, a new name)
        written = ""
    ko = written or f"{attach(name_ko, '은')} {ko_phrase}"
    en_written = str(item.get("description_en") or "")
    if en_written.endswith(en_phrase):
        en_written = ""
    en = HAND_EN.get(str(item["symbol"])) or en_written or f"{name_en} {en_phrase}"
    return ko, en


def main() -> None:
    data = json.loads(SYMBOLS.read_text(encoding="utf-8"))
    lines = []
    for item in data["symbols"]:
        ko, en = describe(item)
        rebuilt: dict[str, object] = {}
        for key, value in item.items():  # the file's field order; the English right after the Korean
            if key == "description_en":
                continue
            if key == "fame" and "description" not in rebuilt:
                rebuilt["description"] = ko
            rebuilt[key] = ko if key == "description" else value
        rebuilt.setdefault("description", ko)
        ordered = {}
        for key, value in rebuilt.items():
            ordered[key] = value
            if key == "description":
                ordered["description_en"] = en
        lines.append("    " + json.dumps(ordered, ensure_ascii=False))
    head = f'{{\n  "version": {VERSION},\n  "compiled": {json.dumps(data["compiled"])},\n  "symbols": [\n'
    SYMBOLS.write_text(head + ",\n".join(lines) + "\n  ]\n}\n", encoding="utf-8")
    print(f"{len(lines)} symbols described")


if __name__ == "__main__":
    main()
