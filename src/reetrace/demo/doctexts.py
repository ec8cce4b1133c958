"""Generated technical documents for the demo world: process specifications in Chinese and English, and flow
diagrams as PNG.

Every specification is assembled from its number, a process and a product, sentences drawn from pools per section
and random process parameters (temperatures, flows, stage counts, dates), plus a parameter table (tab-separated
rows, as a DOCX or XLSX table extracts), so that no two documents share long passages and an excerpt names its
document. Numbers, units, dates and the reviewed phrase pairs of :mod:`reetrace.domains.documents.textmarks` occur
as they do in real specifications, so the pasted-text layer finds its sites. A diagram is a left-to-right chain of
labelled process boxes with arrows, a title and a legend, drawn with Pillow's built-in font (Latin labels only, so
no system font is needed).
"""

from __future__ import annotations

import io
import itertools
import random

PROCESSES_EN = [
    ("solvent extraction of neodymium and praseodymium", "Nd-Pr oxide"),
    ("separation of dysprosium and terbium", "dysprosium oxide"),
    ("calcination of mixed carbonate", "mixed rare-earth oxide"),
    ("molten-salt electrolysis of neodymium metal", "neodymium metal"),
    ("strip casting of NdFeB alloy", "NdFeB alloy flakes"),
    ("sintering of NdFeB magnets", "sintered magnet blocks"),
    ("recycling of magnet swarf", "recovered oxide"),
    ("acid cracking of bastnaesite concentrate", "mixed chloride solution"),
]
PROCESSES_ZH = [
    ("钕镨萃取分离", "氧化镨钕"), ("镝铽分离", "氧化镝"), ("混合碳酸稀土煅烧", "混合稀土氧化物"),
    ("熔盐电解制备金属钕", "金属钕"), ("钕铁硼合金速凝铸片", "钕铁硼速凝片"), ("钕铁硼磁体烧结", "烧结磁体毛坯"),
    ("磁材废料回收", "回收氧化物"), ("氟碳铈矿精矿酸法分解", "混合氯化稀土溶液"),
]

EN_SENTENCES = {
    "scope": [
        "This specification covers the {process} at plant {plant} and applies from {date}.",
        "It replaces revision {rev} and is binding for every shift of the {line} line.",
        "The process owner is the head of the {line} workshop, who reviews it every {months} months.",
        "Deviations must be approved in writing before the batch starts, for example by the shift engineer.",
    ],
    "feed": [
        "The feed contains approximately {mass} kg of rare-earth oxide per batch.",
        "The share of the target element is nearly {share} % of the total oxide.",
        "Each delivery is sampled at {samples} points and released only after the assay agrees within {tol} %.",
        "Feed drums are stored at {temp} °C and used within {days} days in order to avoid hydrolysis.",
        "The moisture of the feed is therefore kept below {share2} % before it enters the reactor.",
    ],
    "process": [
        "Operators must keep the reactor at {temp2} °C and the flow at {flow} L per hour.",
        "The line has {stages} stages of {volume} L each, and the phase ratio is roughly {ratio}.",
        "Afterwards the product is washed with {acid} mol hydrochloric acid in order to remove impurities.",
        "The residence time is {hours} h, thus the conversion reaches nearly {yield_} % of the feed.",
        "Samples are taken every {every} h, for example at stages {s1}, {s2} and {s3}.",
        "The pressure in the furnace is held at {pressure} kPa towards the end of each cycle.",
        "The current density is set to {current} A per square decimetre in order to keep the cell stable.",
    ],
    "quality": [
        "Quality control follows GB/T {gb} and ISO 9001.",
        "Impurities are measured by ICP-MS to {ppm} ppm, and every batch of {batch} kg is released by two analysts.",
        "The certificate is archived for {years} years, and roughly {retest} % of the retained samples are retested.",
        "A batch outside the limits is quarantined, for instance when the oxide purity is below {purity} %.",
    ],
    "safety": [
        "Waste water contains approximately {waste} mg of ammonium per litre and is neutralised to pH 7.",
        "The sludge, nearly {sludge} kg per day, is stored in sealed drums.",
        "Operators wear respirators in the calcination area, and the dose is checked every {months2} months.",
        "Thorium-bearing residues leave the site only with a transfer note signed by the radiation officer.",
    ],
}
ZH_SENTENCES = {
    "scope": [
        "本规程适用于{plant}厂{process}工序，自{date}起执行。",
        "本规程替代第{rev}版，{line_zh}号线各班组必须遵照执行。",
        "工艺负责人为{line_zh}号车间主任，每{months}个月复核一次。",
        "任何偏离须在投料前书面批准，例如由当班工程师签字确认。",
    ],
    "feed": [
        "每批料液含稀土氧化物{mass}kg，目标元素占比约{share}%。",
        "每批来料在{samples}个点取样，化验结果偏差在{tol}%以内方可放行。",
        "料桶在{temp}°C下存放，须在{days}天内使用，以防水解。",
        "因此进料水分须控制在{share2}%以下，然后方可进入反应釜。",
    ],
    "process": [
        "操作人员必须保持反应温度{temp2}°C，流量{flow}L每小时。",
        "全线共{stages}级，每级容积{volume}L，相比约为{ratio}。",
        "之后用{acid}mol盐酸洗涤产品，以除去杂质。",
        "停留时间为{hours}h，因此转化率约为{yield_}%。",
        "每{every}h取样一次，例如在第{s1}级、第{s2}级和第{s3}级取样。",
        "每个周期结束前炉内压力保持在{pressure}kPa。",
        "电流密度设定为每平方分米{current}A，并且须立即记录槽电压。",
    ],
    "quality": [
        "质量检验依据GB/T {gb}执行。",
        "杂质采用ICP-MS测定至{ppm}ppm，每批{batch}kg产品须经两名分析员确认后方可放行。",
        "证书归档保存{years}年，目前每年复检约{retest}%的留样。",
        "当氧化物纯度低于{purity}%时，该批次须立刻隔离，但是可以返工一次。",
    ],
    "safety": [
        "废水含氨氮约{waste}mg每升，中和至pH 7后排放。",
        "污泥每天约{sludge}kg，装入密封桶贮存。",
        "煅烧区操作人员须佩戴防尘口罩，每{months2}个月检测一次剂量。",
        "含钍废渣须凭辐射安全员签字的转移单方可出厂。",
    ],
}
HEADINGS_EN = {"scope": "1 Scope", "feed": "2 Feed material", "process": "3 Process", "quality": "4 Quality control",
               "safety": "5 Safety and environment"}
HEADINGS_ZH = {"scope": "一、适用范围", "feed": "二、原料要求", "process": "三、工艺控制", "quality": "四、质量检验",
               "safety": "五、安全环保"}
DIAGRAM_STEPS = ["Mining", "Beneficiation", "Acid cracking", "Leaching", "SX separation", "Precipitation",
                 "Calcination", "Electrolysis", "Alloying", "Strip casting", "Jet milling", "Pressing", "Sintering",
                 "Machining", "Coating", "Magnetising"]


def _values(rng: random.Random) -> dict[str, object]:
    return {
        "plant": rng.choice(["A", "B", "C", "D", "E"]) + str(rng.randint(1, 9)),
        "date": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "rev": rng.randint(2, 9), "line": rng.choice(["north", "south", "east", "west", "pilot"]),
        "line_zh": rng.choice(["一", "二", "三", "四", "五"]),
        "months": rng.choice([3, 6, 12]), "mass": rng.randrange(1000, 20000, 50), "share": rng.randint(5, 40),
        "samples": rng.randint(3, 9), "tol": rng.choice([0.5, 1, 2]), "temp": rng.randint(5, 30),
        "days": rng.randint(5, 60), "share2": rng.randint(1, 9), "temp2": rng.randint(30, 1100),
        "flow": rng.randrange(200, 5000, 10), "stages": rng.randint(8, 90), "volume": rng.randrange(500, 8000, 100),
        "ratio": round(rng.uniform(0.5, 3.0), 1), "acid": rng.randint(1, 6), "hours": rng.randint(1, 12),
        "yield_": rng.randint(90, 99), "every": rng.randint(1, 8), "s1": rng.randint(2, 10),
        "s2": rng.randint(11, 30), "s3": rng.randint(31, 60), "pressure": rng.randint(5, 200),
        "current": round(rng.uniform(0.5, 9.5), 1), "gb": rng.choice([18115, 15676, 26416, 12690, 13560]),
        "ppm": rng.randint(1, 50), "batch": rng.randrange(500, 5000, 100), "years": rng.choice([10, 15, 30]),
        "retest": rng.randint(1, 5), "purity": rng.choice([99, 99.5, 99.9, 99.95]), "waste": rng.randint(20, 400),
        "sludge": rng.randint(5, 90), "months2": rng.choice([1, 3, 6]),
    }


def _table(rng: random.Random, lang: str) -> list[str]:
    head = ["Stage", "Temperature °C", "Flow L/h", "Time h"] if lang == "en" else ["工段", "温度°C", "流量L/h", "时间h"]
    rows = ["\t".join(head)]
    for n in range(rng.randint(3, 6)):
        label = f"S{n + 1}" if lang == "en" else f"第{n + 1}段"
        rows.append("\t".join([label, str(rng.randint(20, 1000)), str(rng.randrange(100, 3000, 10)),
                               str(rng.randint(1, 10))]))
    return rows


def spec_text(rng: random.Random, lang: str, number: int) -> tuple[str, str]:
    """A process specification (title, Markdown text) in ``lang`` ("en" or "zh")."""
    values = _values(rng)
    if lang == "en":
        process, product = rng.choice(PROCESSES_EN)
        values["process"] = process
        title = f"Process specification PS-{number}: {process} ({product})"
        pools, headings, joiner = EN_SENTENCES, HEADINGS_EN, " "
    else:
        process, product = rng.choice(PROCESSES_ZH)
        values["process"] = process
        title = f"工艺规程PS-{number}：{process}（{product}）"
        pools, headings, joiner = ZH_SENTENCES, HEADINGS_ZH, ""
    lines = [f"# {title}", ""]
    for section, pool in pools.items():
        lines += [f"## {headings[section]}", ""]
        for _ in range(2 if section in ("scope", "safety") else rng.randint(2, 3)):
            chosen = rng.sample(pool, k=min(len(pool), rng.randint(3, len(pool))))
            lines += [joiner.join(s.format(**values) for s in chosen), ""]
            values = {**_values(rng), "process": process}
        if section == "process":
            lines += [*_table(rng, lang), ""]
    return title, "\n".join(lines)


def diagram_png(rng: random.Random, number: int) -> tuple[str, bytes]:
    """A process flow diagram (title, PNG bytes): 5 to 8 boxes in two rows with arrows, drawn with Pillow."""
    from PIL import Image, ImageDraw, ImageFont

    start = rng.randrange(0, len(DIAGRAM_STEPS) - 8)
    steps = DIAGRAM_STEPS[start:start + rng.randint(5, 8)]
    width, height = 1400, 900
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=26)
    small = ImageFont.load_default(size=20)
    title = f"Flow diagram FD-{number}: {steps[0]} to {steps[-1]}"
    draw.text((60, 40), title, fill=0, font=font)
    per_row = (len(steps) + 1) // 2
    boxes = []
    for n, step in enumerate(steps):
        row, col = divmod(n, per_row)
        col = col if row == 0 else per_row - 1 - col  # the second row runs back (a U-shaped flow)
        x0 = 60 + col * (width - 120) // per_row
        y0 = 180 + row * 340 + rng.randint(-20, 20)
        box = (x0, y0, x0 + 230, y0 + 120)
        boxes.append(box)
        draw.rectangle(box, outline=0, width=4, fill=rng.choice([255, 235, 215]))
        draw.text((x0 + 16, y0 + 22), step, fill=0, font=font)
        draw.text((x0 + 16, y0 + 70), f"{rng.randint(20, 1100)} °C, {rng.randint(1, 12)} h", fill=60, font=small)
    for a, b in itertools.pairwise(boxes):
        if a[1] == b[1] or abs(a[1] - b[1]) < 60:
            y = (a[1] + a[3]) // 2
            x0, x1 = (a[2], b[0]) if a[0] < b[0] else (a[0], b[2])
        else:
            x0 = x1 = (a[0] + a[2]) // 2
            y = 0
        if y:
            draw.line((x0, y, x1, y), fill=0, width=4)
            tip = x1 - 16 if x1 > x0 else x1 + 16
            draw.polygon([(x1, y), (tip, y - 10), (tip, y + 10)], fill=0)
        else:
            draw.line((x0, a[3], x0, b[1]), fill=0, width=4)
            draw.polygon([(x0, b[1]), (x0 - 10, b[1] - 16), (x0 + 10, b[1] - 16)], fill=0)
    draw.rectangle((60, 820, 760, 870), outline=120, width=2)
    draw.text((76, 832), f"Legend: boxes are process steps; revision {rng.randint(1, 9)}; plant "
                        f"{rng.choice('ABCDE')}{rng.randint(1, 9)}", fill=40, font=small)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return title, out.getvalue()
