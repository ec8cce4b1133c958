"""Generated technical specifications in English and Chinese (the registry's and the marks' test documents)."""

from __future__ import annotations

EN_PARAGRAPHS = [
    "Process specification PS-7 covers the solvent extraction of neodymium and praseodymium from a mixed chloride "
    "solution. The feed contains approximately 12500 kg of rare-earth oxide per batch, and the praseodymium share is "
    "nearly 21 %. Operators must keep the aqueous phase at 35 °C and the flow at 1200 L per hour in order to hold the "
    "separation factor above 1.5. The saponification degree is therefore fixed at 38 %, for example by dosing 4 mol of "
    "sodium hydroxide per litre of organic phase.",
    "Each of the 64 mixer-settler stages holds 2500 L. The organic phase is P507 at 1.5 mol per litre in kerosene, "
    "and the phase ratio is roughly 1.8. Afterwards the loaded organic phase is scrubbed with 3 mol hydrochloric acid "
    "in order to remove lanthanum and cerium. The scrub section uses 18 stages, therefore the raffinate carries nearly "
    "no neodymium. Samples are taken every 2 h, for example at stages 12, 24 and 48.",
    "The stripping section runs at 40 °C with 5 mol hydrochloric acid. The strip liquor contains approximately 260 g "
    "of oxide per litre and flows towards the precipitation tanks at 800 L per hour. Oxalic acid is added at 1.1 times "
    "the stoichiometric amount in order to precipitate the oxalate, which is calcined at 950 °C for 4 h. The product "
    "is 99.5 % neodymium-praseodymium oxide, and the yield is nearly 98 % of the feed.",
    "Quality control follows GB/T 18115 and ISO 9001. The total rare-earth content is measured by titration, for "
    "example with 0.02 mol EDTA, and impurities by ICP-MS to 5 ppm. Thus every batch of 3000 kg is released only "
    "after two analysts agree. Afterwards the certificate is archived for 15 years, and roughly 1 % of the retained "
    "samples are tested again towards the end of each year.",
    "Waste water from the extraction line contains approximately 150 mg of ammonium per litre. It is neutralised to "
    "pH 7 and filtered through 10 mm sand beds in order to meet the discharge limit. The sludge, nearly 40 kg per "
    "day, is stored in sealed drums. Thus no radioactive thorium leaves the site, for example in the 2024 audit the "
    "dose was 0.1 mSv per year.",
]
EN_TEXT = "\n\n".join(EN_PARAGRAPHS) + "\n"

ZH_PARAGRAPHS = [
    "工艺规程PS-8适用于混合氯化稀土溶液中钕和镨的萃取分离。每批料液含稀土氧化物12500kg，镨占比约21%。"
    "操作人员必须保持水相温度35°C，流量1200L每小时，因此分离系数保持在1.5以上。皂化度固定为38%，例如每升有机相加入4mol氢氧化钠。"
    "本规程自2026-03-01起执行，目前由萃取车间负责。",
    "共有64级混合澄清槽，每级容积2500L。有机相为P507，浓度1.5mol每升，稀释剂为磺化煤油，相比为1.8。然后用3mol盐酸洗涤负载有机相，"
    "以除去镧和铈。洗涤段共18级，因此萃余液中几乎不含钕。每2h取样一次，例如在第12级、第24级和第48级取样，并且样品须立即送检。",
    "反萃段温度40°C，使用5mol盐酸。反萃液含氧化物260g每升，以800L每小时的流量送往沉淀槽。草酸加入量为理论量的1.1倍，"
    "沉淀之后在950°C煅烧4h。产品为99.5%氧化镨钕，收率为98%。但是当料液中铈含量超过3000kg时，必须立刻调整洗酸流量。",
    "质量检验依据GB/T 18115执行。稀土总量采用EDTA滴定法测定，杂质采用ICP-MS测定至5ppm。"
    "每批3000kg产品须经两名分析员确认后方可放行，"
    "随后证书归档保存15年。目前每年复检约1%的留样，并且复检记录须在2026年12月31日前归档。",
]
ZH_TEXT = "\n\n".join(ZH_PARAGRAPHS) + "\n"


def long_spec(sections: int = 4) -> str:
    """A bilingual specification of ``sections`` parts (about 160 mark sites each), for collusion tests."""
    parts = []
    for k in range(1, sections + 1):
        zh = ZH_TEXT.replace("PS-8", f"PS-8.{k}").replace("64级", f"{60 + k}级")
        en = EN_TEXT.replace("PS-7", f"PS-7.{k}").replace("64 mixer", f"{60 + k} mixer")
        parts.append(f"第{k}部分\n\n{zh}\nPart {k}\n\n{en}")
    return "\n".join(parts)
