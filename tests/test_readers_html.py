"""HTML reader: charset fallbacks, body finding, grids with spans, layout tables, metadata, attachments."""
from __future__ import annotations

import pytest

from extract.document import Paragraph, Table
from extract.errors import ExtractError
from extract.readers import html

TITLE = "洛阳市洛龙区人民政府办公室2022年政府信息公开工作年度报告"


def page(body: str, *, charset: str = "utf-8", head: str = "", title: str = TITLE + "_洛阳市洛龙区人民政府") -> str:
    """A portal article page: header nav, breadcrumb, the article, related links, footer."""
    return f"""<!DOCTYPE html><html><head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{title}</title>{head}
<script>var x = "一、总体情况 should not appear";</script><style>.a{{color:red}}</style>
</head><body>
<div class="header"><div class="logo">洛龙区人民政府</div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/zwfw/">政务服务</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>
<div class="main">
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="/nb/">年报</a></div>
<div class="article">
<h1 class="title">{TITLE}</h1>
<div class="info">发布时间：2023-01-19 10:30 来源：区政府办 浏览次数：<span>123</span></div>
{body}
<div class="print"><a href="javascript:window.print()">打印本页</a> <a href="javascript:window.close()">关闭窗口</a></div>
</div>
<div class="related"><h3>相关链接</h3><ul><li><a href="/a/1.html">洛龙区2021年政府信息公开工作年度报告</a></li>
<li><a href="/a/2.html">洛龙区2020年政府信息公开工作年度报告</a></li><li><a href="/a/3.html">洛龙区2019年政府信息公开工作年度报告</a></li></ul></div>
</div>
<div class="footer">主办：洛阳市洛龙区人民政府办公室 地址：洛阳市洛龙区开元大道 联系电话：0379-12345678 网站标识码：4103110001 豫ICP备12345678号</div>
</body></html>"""


ACTIVE_HTML = """<table border="1" cellspacing="0">
<tr><td colspan="4"><p class=MsoNormal align=center><span lang=EN-US>第二十条第（一）项</span></p></td></tr>
<tr><th><p class=MsoNormal><span>信息内容</span></p></th><th>本年制发件数</th><th>本年废止件数</th><th>现行有效件数</th></tr>
<tr><td><p class=MsoNormal><span style='font-family:仿宋'>规章</span></p></td><td>0</td><td>0</td><td>0</td></tr>
<tr><td>行政规范性<br>文件</td><td>&nbsp;5&nbsp;</td><td>2</td><td>59</td></tr>
<tr><td colspan="4">第二十条第（五）项</td></tr>
<tr><td>信息内容</td><td colspan="3">本年处理决定数量</td></tr>
<tr><td>行政许可</td><td colspan="3">12</td></tr>
</table>"""

ACTIVE_GRID = [
    ["第二十条第（一）项"] * 4,
    ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
    ["规章", "0", "0", "0"],
    ["行政规范性文件", "5", "2", "59"],
    ["第二十条第（五）项"] * 4,
    ["信息内容", "本年处理决定数量", "本年处理决定数量", "本年处理决定数量"],
    ["行政许可", "12", "12", "12"],
]

# part 3 header: 2-row merged header and merged row labels
APPLY_HTML = """<table>
<tbody><tr><td rowspan="3" colspan="3">（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td>
<td colspan="4">申请人情况</td></tr>
<tr><td rowspan="2">自然人</td><td colspan="2">法人或其他组织</td><td rowspan="2">总计</td></tr>
<tr><td>商业企业</td><td>科研机构</td></tr>
<tr><td colspan="3">一、本年新收政府信息公开申请数量</td><td>5</td><td>1</td><td>0</td><td>6</td></tr>
<tr><td rowspan="3">三、本年度办理结果</td><td colspan="2">（一）予以公开</td><td>2</td><td>0</td><td>0</td><td>2</td></tr>
<tr><td rowspan="2">（三）不予公开</td><td>1.属于国家秘密</td><td>0</td><td>0</td><td>0</td><td>0</td></tr>
<tr><td>2.其他法律行政法规禁止公开</td><td>1</td><td>0</td><td>0</td><td>1</td></tr>
</tbody></table>"""

NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
APPLY_GRID = [
    [NOTE] * 3 + ["申请人情况"] * 4,
    [NOTE] * 3 + ["自然人", "法人或其他组织", "法人或其他组织", "总计"],
    [NOTE] * 3 + ["自然人", "商业企业", "科研机构", "总计"],
    ["一、本年新收政府信息公开申请数量"] * 3 + ["5", "1", "0", "6"],
    ["三、本年度办理结果", "（一）予以公开", "（一）予以公开", "2", "0", "0", "2"],
    ["三、本年度办理结果", "（三）不予公开", "1.属于国家秘密", "0", "0", "0", "0"],
    ["三、本年度办理结果", "（三）不予公开", "2.其他法律行政法规禁止公开", "1", "0", "0", "1"],
]

REPORT_BODY = f"""<div class="TRS_Editor"><div class="Custom_UnionStyle">
<p style="text-indent:2em">一、总体情况</p>
<p>2022年，洛龙区人民政府办公室认真贯彻落实
《中华人民共和国政府信息公开条例》，不断提升政务公开质量。</p>
<p><strong>二、</strong>主动公开政府信息情况</p>
{ACTIVE_HTML}
<p>三、收到和处理政府信息公开申请情况</p>
{APPLY_HTML}
<h3>六、其他需要报告的事项</h3>
<div>本机关未收取信息处理费。<br>无其他需要报告的事项。</div>
</div></div>"""


def blocks(doc):
    return [(type(b).__name__, b.text if isinstance(b, Paragraph) else b.rows) for b in doc.blocks]


def test_report_page_body_order_and_grids():
    doc = html.read(page(REPORT_BODY).encode("utf-8"), url="http://www.luolong.gov.cn/nb/2023/01/19/1.html")
    assert doc.format == "html"
    assert doc.title == TITLE
    assert doc.published == "2023-01-19"
    assert doc.warnings == []
    assert blocks(doc) == [
        ("Paragraph", "一、总体情况"),
        ("Paragraph", "2022年，洛龙区人民政府办公室认真贯彻落实《中华人民共和国政府信息公开条例》，不断提升政务公开质量。"),
        ("Paragraph", "二、主动公开政府信息情况"),
        ("Table", ACTIVE_GRID),
        ("Paragraph", "三、收到和处理政府信息公开申请情况"),
        ("Table", APPLY_GRID),
        ("Paragraph", "六、其他需要报告的事项"),
        ("Paragraph", "本机关未收取信息处理费。"),
        ("Paragraph", "无其他需要报告的事项。"),
    ]
    text = doc.full_text()
    for noise in ("首页", "相关链接", "网站标识码", "打印本页", "should not appear", "当前位置"):
        assert noise not in text


def test_gbk_bytes_labelled_utf8_fall_back_to_gb18030():
    raw = page(REPORT_BODY.replace("洛龙区", "洛龙区镕堃喆"), charset="utf-8").encode("gb18030")
    doc = html.read(raw)
    assert "镕堃喆" in doc.full_text()
    assert any("declared charset utf-8 is wrong" in w for w in doc.warnings)
    assert list(doc.tables())[1].rows == APPLY_GRID


def test_gb2312_label_read_as_gb18030_and_utf8_labelled_gbk():
    raw = page(REPORT_BODY.replace("洛龙区", "镕"), charset="gb2312").encode("gb18030")
    text, enc, warnings = html.decode(raw)
    assert enc == "gb18030" and "镕" in text and warnings == []
    # UTF-8 bytes that claim to be GBK
    text, enc, warnings = html.decode(page(REPORT_BODY, charset="gbk").encode("utf-8"))
    assert enc == "utf-8" and TITLE in text and warnings
    # BOM wins over the label
    text, enc, _ = html.decode(b"\xef\xbb\xbf" + page("<p>正文</p>", charset="gbk").encode("utf-8"))
    assert enc == "utf-8" and "正文" in text


def test_no_declared_charset_gbk_detected():
    raw = "<html><body><div id='zoom'><p>一、总体情况</p><p>本年度政府信息公开工作情况良好。</p></div></body></html>".encode("gbk")
    doc = html.read(raw)
    assert [b.text for b in doc.paragraphs()] == ["一、总体情况", "本年度政府信息公开工作情况良好。"]


def test_layout_table_wrapping_data_table_and_single_cell_table():
    body = f"""<table width="100%" class="layout"><tr><td>
      <table><tr><td><p>一、总体情况</p><p>全年主动公开信息1200条。</p></td></tr></table>
      <p>二、主动公开政府信息情况</p>
      {ACTIVE_HTML}
    </td></tr><tr><td>五、存在的主要问题及改进情况</td></tr></table>"""
    doc = html.read(page(body).encode())
    assert blocks(doc) == [
        ("Paragraph", "一、总体情况"),
        ("Paragraph", "全年主动公开信息1200条。"),
        ("Paragraph", "二、主动公开政府信息情况"),
        ("Table", ACTIVE_GRID),
        ("Paragraph", "五、存在的主要问题及改进情况"),
    ]


def test_spans_beyond_edge_missing_cells_and_empty_rows():
    body = """<div id="zoom"><table>
    <tr><td>行政复议</td><td colspan="9">行政诉讼</td></tr>
    <tr><td rowspan="5">结果维持</td><td>未经复议</td><td>复议后</td></tr>
    <tr><td>1</td></tr>
    <tr></tr>
    </table></div>"""
    doc = html.read(page(body).encode())
    table = list(doc.tables())[0]
    assert table.rows == [
        ["行政复议", "行政诉讼", "行政诉讼"],
        ["结果维持", "未经复议", "复议后"],
        ["结果维持", "1", ""],
    ]
    assert table.exact_columns is True


def test_deeply_nested_and_huge_html_does_not_crash():
    deep = "<div>" * 5000 + "<p>一、总体情况</p><table><tr><td>a</td><td>1</td></tr><tr><td>b</td><td>2</td></tr></table>" + "</div>" * 5000
    doc = html.read(page(deep).encode())
    assert "一、总体情况" in doc.full_text()
    big = "<div class='content'>" + "<p>政府信息公开工作持续推进，主动公开信息。</p>" * 20000 + "</div>"
    doc = html.read(page(big).encode())
    assert len(list(doc.paragraphs())) >= 20000


def test_title_and_date_from_meta():
    head = '<meta name="ArticleTitle" content="郑州市2023年政府信息公开工作年度报告"><meta name="PubDate" content="2024-01-26 09:00:00">'
    doc = html.read(page("<div class='content'><p>正文内容一、总体情况</p></div>", head=head).encode())
    assert doc.title == "郑州市2023年政府信息公开工作年度报告"
    assert doc.published == "2024-01-26"


def test_title_from_title_tag_without_site_suffix():
    raw = ("<html><head><meta charset='utf-8'><title>新乡市2022年政府信息公开工作年度报告_新乡市人民政府</title></head>"
           "<body><div class='hap_xq_content'><p>一、总体情况</p></div><p>日期：2023年1月30日</p></body></html>").encode()
    doc = html.read(raw)
    assert doc.title == "新乡市2022年政府信息公开工作年度报告"
    assert doc.published == "2023-01-30"


def test_attachment_links():
    body = """<div class="TRS_Editor"><p>详见附件。</p>
    <p>附件：<a href="./P020230119123456.pdf">洛龙区2022年年报.pdf</a></p>
    <p><a href="/module/download/downfile.jsp?classid=0&filename=abc.doc">年报（word版）</a></p>
    <p><a href="http://other.example.cn/files/report.xlsx">统计表</a> <a href="./P020230119123456.pdf">重复</a></p>
    <p><a href="/zwgk/index.html">政务公开</a></p></div>"""
    links = html.attachment_links(page(body).encode(), url="http://www.luolong.gov.cn/nb/2023/01/19/art_1.html")
    assert links == [
        ("http://www.luolong.gov.cn/nb/2023/01/19/P020230119123456.pdf", "洛龙区2022年年报.pdf"),
        ("http://www.luolong.gov.cn/module/download/downfile.jsp?classid=0&filename=abc.doc", "年报（word版）"),
        ("http://other.example.cn/files/report.xlsx", "统计表"),
    ]
    assert html.attachment_links(b"") == []


def test_empty_and_blank_input():
    with pytest.raises(ExtractError, match="empty HTML"):
        html.read(b"")
    with pytest.raises(ExtractError, match="empty HTML"):
        html.read(b"   \n ")


def test_old_table_layout_page_without_known_containers():
    narrative = "本机关严格落实政府信息公开条例，主动公开各类信息，依法办理依申请公开事项，未发生行政复议和行政诉讼。" * 4
    raw = f"""<html><head><meta charset="gb2312"><title>某县统计局2021年政府信息公开工作年度报告</title></head><body>
    <table width="980"><tr><td width="200" valign="top">
      <a href="/1">首页</a><br><a href="/2">机构概况</a><br><a href="/3">政务公开</a><br><a href="/4">统计数据</a>
    </td><td valign="top">
      <p align="center"><b>某县统计局2021年政府信息公开工作年度报告</b></p>
      <p>一、总体情况</p><p>{narrative}</p>
      <p>六、其他需要报告的事项</p><p>无。</p><div style="display: none">隐藏的重复文字</div>
    </td></tr></table>
    <table><tr><td>版权所有 某县统计局</td><td>技术支持 某公司</td></tr></table></body></html>""".encode("gb18030")
    doc = html.read(raw)
    assert [b.text for b in doc.blocks] == [
        "某县统计局2021年政府信息公开工作年度报告", "一、总体情况", narrative, "六、其他需要报告的事项", "无。"]
    assert doc.title == "某县统计局2021年政府信息公开工作年度报告"
