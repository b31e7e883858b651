"""Demo data for the shop 演示商城 (demo.kefu), all in Simplified Chinese; see `load_demo`."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.demo_history import seed_history
from server.models import (
    Agent,
    Company,
    Customer,
    KbEntry,
    LogisticsEvent,
    Order,
    Product,
    QuickPhrase,
    Tag,
    Team,
    TeamManager,
    VisitorBlock,
)
from server.security import hash_password, initial_password
from server.shifts import ensure_default_shifts

DEMO_DOMAIN = "demo.kefu"
DEMO_COMPANY_NAME = "演示商城"
DEMO_PASSWORD = "Kefu@2024"
NAMESPACE = uuid.UUID("4b6f1d1e-7c3a-5d2e-9f10-6b656675646b")

TEAM_PRESALES = "售前咨询组"
TEAM_AFTERSALES = "售后服务组"
BLOCKED_VISITOR_KEY = "blocked-demo-visitor"

# name, receives_visitors, auto_reply
_TEAMS: tuple[tuple[str, bool, str], ...] = (
    (TEAM_PRESALES, True, "您好，当前咨询人数较多，请稍候，客服马上为您服务～"),
    (TEAM_AFTERSALES, False, "您好，售后专员正在处理中，请留下订单号和问题描述，我们会尽快回复～"),
)


@dataclass(frozen=True)
class _AgentSpec:
    employee_id: str
    name: str
    role: str
    team: str
    password_changed: bool
    note: str
    manages: tuple[str, ...] = ()


_AGENTS: tuple[_AgentSpec, ...] = (
    _AgentSpec("20240001", "王晓敏", "agent", TEAM_PRESALES, True, "售前客服，日常演示用这个账号"),
    _AgentSpec("20240002", "李佳怡", "agent", TEAM_PRESALES, True, "售前客服"),
    _AgentSpec("20240003", "张浩然", "agent", TEAM_PRESALES, True, "售前客服（夜班）"),
    _AgentSpec("20240004", "陈思雨", "agent", TEAM_AFTERSALES, True, "售后客服"),
    _AgentSpec("20240005", "刘子轩", "agent", TEAM_AFTERSALES, True, "售后客服（夜班）"),
    _AgentSpec("20240006", "黄欣怡", "agent", TEAM_AFTERSALES, True, "售后客服"),
    _AgentSpec(
        "20240010", "赵雅婷", "lead", TEAM_PRESALES, True,
        "客服组长：售前咨询组，兼管售后服务组（交接班视图）", (TEAM_AFTERSALES,),
    ),
    _AgentSpec(
        "20240020", "孙建国", "supervisor", TEAM_AFTERSALES, True,
        "客服主管：管理两个组，审批账号解锁", (TEAM_PRESALES, TEAM_AFTERSALES),
    ),
    _AgentSpec("20240030", "周文博", "admin", TEAM_AFTERSALES, True, "系统管理员：账号与权限"),
    _AgentSpec(
        "20240099", "吴子涵", "agent", TEAM_PRESALES, False,
        "新员工：仍是初始密码（工号后六位），首次登录须先改密码（H1.2）",
    ),
)


@dataclass(frozen=True)
class DemoAccount:
    """One demo login for the README: account, password, who it is."""

    account: str
    password: str
    name: str
    role: str
    team: str
    note: str


def _password_of(spec: _AgentSpec) -> str:
    return DEMO_PASSWORD if spec.password_changed else initial_password(spec.employee_id)


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = tuple(
    DemoAccount(
        f"{spec.employee_id}@{DEMO_DOMAIN}", _password_of(spec), spec.name, spec.role, spec.team,
        spec.note,
    )
    for spec in _AGENTS
)

# name, starts, ends, rostered employee ids per team (H13.1)
# The default shifts (DEFAULT_SHIFTS_ZH: 白班, 夜班, 常规班) and who works them, per team.
_ROSTERS: dict[str, dict[str, tuple[str, ...]]] = {
    TEAM_PRESALES: {"白班": ("20240001", "20240002"), "夜班": ("20240003", "20240099"),
                    "常规班": ("20240010",)},
    TEAM_AFTERSALES: {"白班": ("20240004", "20240006"), "夜班": ("20240005",),
                      "常规班": ("20240020",)},
}

# Three-level tag library (H4.3): level 1 › level 2 › level 3.
_TAG_TREE: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = (
    ("产品使用", (
        ("功能操作", ("支付异常", "登录问题", "页面报错")),
        ("使用咨询", ("参数规格", "安装指导")),
    )),
    ("售后", (
        ("退换货", ("质量问题", "尺码不合", "七天无理由")),
        ("维修保修", ("保修期内", "过保维修")),
        ("退款", ("退款进度", "部分退款")),
    )),
    ("物流", (
        ("配送问题", ("物流延误", "派送异常", "包裹破损")),
        ("地址变更", ("发货前改址", "拦截改派")),
    )),
    ("客户关系", (
        ("客户价值", ("高价值客户", "潜在客户", "复购客户")),
        ("投诉风险", ("情绪激动", "多次投诉")),
    )),
)

# nickname, vip, phone, city, address, ID number without check digit, team, tag paths
_CUSTOMERS: tuple[tuple[str, int, str, str, str, str, str, tuple[str, ...]], ...] = (
    ("小鱼儿", 2, "13812345678", "深圳", "广东省深圳市南山区桃源街道幸福里花园3栋1202",
     "44030519920314052", TEAM_PRESALES, ("客户关系/客户价值/高价值客户",)),
    ("快乐购物狂", 3, "13923456789", "上海", "上海市浦东新区张江镇丹桂苑12号601室",
     "31011519880822163", TEAM_PRESALES, ("客户关系/客户价值/复购客户",)),
    ("阿狸不吃鱼", 0, "15012348765", "杭州", "浙江省杭州市西湖区翠苑街道文华小区5幢302",
     "33010619950107284", TEAM_AFTERSALES, ("售后/退换货/尺码不合",)),
    ("柠檬不萌", 0, "13698765432", "北京", "北京市朝阳区望京街道花家地北里7号楼1单元501",
     "11010519970530021", TEAM_PRESALES, ()),
    ("追风少年", 1, "18611112222", "成都", "四川省成都市武侯区玉林街道芳草苑2栋803",
     "51010719990912317", TEAM_AFTERSALES, ()),
    ("静待花开", 0, "13787654321", "武汉", "湖北省武汉市洪山区关山街道光谷新城8栋1501",
     "42011119930418446", TEAM_PRESALES, ()),
    ("吃货小王", 0, "15898765432", "南京", "江苏省南京市鼓楼区宁海路街道颐和苑4幢201",
     "32010619960625135", TEAM_AFTERSALES, ("物流/配送问题/物流延误",)),
    ("月光宝盒", 2, "13566778899", "广州", "广东省广州市天河区林和街道天誉花园6座1703",
     "44010619870203528", TEAM_PRESALES, ()),
    ("大橘为重", 0, "18922334455", "厦门", "福建省厦门市思明区莲前街道海韵小区9号402",
     "35020320000716249", TEAM_PRESALES, ()),
    ("一只小熊猫", 0, "13345678901", "重庆", "重庆市渝中区大坪街道嘉陵花园11栋2304",
     "50010319941129372", TEAM_AFTERSALES, ()),
    ("夏天的风", 1, "17712345678", "西安", "陕西省西安市雁塔区小寨路街道曲江华府3号楼906",
     "61011319910305063", TEAM_PRESALES, ()),
    ("奶茶续命", 0, "15623456789", "长沙", "湖南省长沙市岳麓区望月湖街道枫林苑16栋703",
     "43010420010814286", TEAM_AFTERSALES, ("客户关系/投诉风险/情绪激动",)),
    ("墨染青衣", 0, "18734567890", "苏州", "江苏省苏州市姑苏区平江街道桐芳巷15号",
     "32050819890927148", TEAM_PRESALES, ()),
    ("土豆不是豆", 0, "13156789012", "青岛", "山东省青岛市市南区八大关街道海景苑2号楼601",
     "37020219860411397", TEAM_AFTERSALES, ()),
    ("晴天娃娃", 0, "15967890123", "天津", "天津市和平区南营门街道阳光公寓5门1102",
     "12010119981203425", TEAM_PRESALES, ()),
    ("老张家的猫", 1, "13078901234", "郑州", "河南省郑州市金水区文化路街道绿城小区7号楼302",
     "41010519850619271", TEAM_AFTERSALES, ()),
    ("数码控阿杰", 3, "18889012345", "深圳", "广东省深圳市福田区华强北街道振兴小区20栋905",
     "44030419900228319", TEAM_PRESALES,
     ("客户关系/客户价值/高价值客户", "产品使用/使用咨询/参数规格")),
    ("宝妈小李", 0, "13290123456", "合肥", "安徽省合肥市蜀山区稻香村街道翡翠湾9幢1801",
     "34010419930815462", TEAM_AFTERSALES, ()),
    ("云朵里的鱼", 0, "15501234567", "昆明", "云南省昆明市五华区翠湖街道春城花园1栋702",
     "53010219970404188", TEAM_PRESALES, ()),
    ("不吃香菜", 0, "18612340987", "沈阳", "辽宁省沈阳市和平区南湖街道学府小区6号楼403",
     "21010219951021235", TEAM_AFTERSALES, ()),
    ("早睡早起", 0, "13912340876", "宁波", "浙江省宁波市鄞州区东柳街道阳光家园13幢605",
     "33021219920117024", TEAM_PRESALES, ()),
    ("奔跑的蜗牛", 0, "15112349876", "南昌", "江西省南昌市红谷滩区沙井街道碧水湾3栋1104",
     "36011319881230351", TEAM_AFTERSALES, ("售后/维修保修/保修期内",)),
    ("木子李", 0, "17612345098", "南宁", "广西壮族自治区南宁市青秀区新竹街道翠竹园8栋301",
     "45010320020308117", TEAM_PRESALES, ()),
    ("橘子汽水", 2, "13512340765", "哈尔滨", "黑龙江省哈尔滨市南岗区花园街道松雪小区4单元801",
     "23010319900506246", TEAM_AFTERSALES, ()),
    ("小确幸", 0, "18212346543", "石家庄", "河北省石家庄市长安区建北街道和平家园2号楼502",
     "13010219990921068", TEAM_PRESALES, ("客户关系/客户价值/潜在客户",)),
    ("风吹麦浪", 0, "13812349654", "太原", "山西省太原市小店区坞城街道锦绣苑10号楼1203",
     "14010519870713134", TEAM_AFTERSALES, ()),
    ("铲屎官", 0, "15312347432", "贵阳", "贵州省贵阳市云岩区中华中路街道金桥小区5栋906",
     "52010319960210383", TEAM_PRESALES, ()),
    ("星河滚烫", 1, "18512346321", "长春", "吉林省长春市朝阳区红旗街道春华苑7栋1502",
     "22010419940825157", TEAM_AFTERSALES, ()),
    ("兔子不跑", 0, "13712345210", "兰州", "甘肃省兰州市城关区张掖路街道金城花园3号楼702",
     "62010220000102426", TEAM_PRESALES, ()),
    ("江南烟雨", 0, "13612344109", "绍兴", "浙江省绍兴市越城区府山街道鉴湖小区12幢401",
     "33060219861118293", TEAM_AFTERSALES, ()),
)

# sku, name, price in cents, specs, promotion (H6)
_PRODUCTS: tuple[tuple[str, str, int, dict[str, str], str], ...] = (
    ("PH-A15-256BK", "星耀 A15 5G智能手机", 399900,
     {"颜色": "曜石黑", "存储": "8GB+256GB", "网络": "5G双卡双待"}, "以旧换新至高补贴500元"),
    ("PH-A15-512WH", "星耀 A15 5G智能手机", 449900,
     {"颜色": "冰川白", "存储": "12GB+512GB", "网络": "5G双卡双待"}, "以旧换新至高补贴500元"),
    ("EP-BUDS3-WH", "声悦 Buds 3 真无线降噪耳机", 59900,
     {"颜色": "白色", "续航": "单次8小时/总30小时", "防水": "IPX4"}, "满300减40"),
    ("WT-GT4-BK", "悦动 GT4 智能手表", 129900,
     {"颜色": "黑色", "表盘": "46mm", "续航": "14天"}, "赠原装硅胶表带"),
    ("RC-IH40", "臻味 IH电饭煲 4L", 39900,
     {"容量": "4L", "适用人数": "2-8人", "加热方式": "IH电磁加热"}, "满300减40"),
    ("VC-S8-PRO", "净界 S8 Pro 扫拖机器人", 249900,
     {"功能": "扫拖一体", "续航": "180分钟", "吸力": "6000Pa"}, "限时直降300元"),
    ("DJ-M24-BK-XL", "轻暖鹅绒羽绒服 男款", 89900,
     {"颜色": "黑色", "尺码": "XL", "含绒量": "90%白鹅绒"}, "第二件半价"),
    ("DJ-W24-PK-M", "轻暖鹅绒羽绒服 女款", 89900,
     {"颜色": "樱花粉", "尺码": "M", "含绒量": "90%白鹅绒"}, "第二件半价"),
    ("TS-COT-WH-L", "纯棉圆领T恤", 7900,
     {"颜色": "白色", "尺码": "L", "面料": "100%新疆长绒棉"}, "任选3件99元"),
    ("CUP-TH500", "316不锈钢保温杯 500ml", 12900,
     {"容量": "500ml", "材质": "316不锈钢", "保温": "12小时"}, "满99包邮"),
    ("FD-NUT-750", "每日坚果礼盒 750g", 15900,
     {"规格": "30袋×25g", "保质期": "180天"}, "满300减40"),
    ("TEA-LJ-250", "明前龙井 250g 礼盒装", 36800,
     {"产地": "浙江杭州", "等级": "特级", "包装": "礼盒装"}, "买二送一"),
    ("SK-HYD-50", "玻尿酸保湿面霜 50g", 19900,
     {"规格": "50g", "适用肤质": "干性及混合性肌肤"}, "会员95折"),
    ("BK-LAP-GY", "人体工学双肩电脑包", 25900,
     {"颜色": "深灰", "容量": "25L", "适用尺寸": "15.6英寸"}, "满300减40"),
    ("CB-C2C-100W", "100W快充数据线 1.5m", 3900,
     {"长度": "1.5m", "功率": "100W", "接口": "USB-C 转 USB-C"}, "满99包邮"),
)

# order_no, customer nickname, status, lines (sku, qty), payment method, days ago (H5)
_ORDERS: tuple[tuple[str, str, str, tuple[tuple[str, int], ...], str, int], ...] = (
    ("DD202611010001", "小鱼儿", "已完成", (("PH-A15-256BK", 1),), "支付宝", 25),
    ("DD202611010002", "小鱼儿", "已发货", (("EP-BUDS3-WH", 1), ("CB-C2C-100W", 2)), "微信支付", 3),
    ("DD202611010003", "快乐购物狂", "已签收",
     (("DJ-W24-PK-M", 1), ("TS-COT-WH-L", 3)), "支付宝", 6),
    ("DD202611010004", "快乐购物狂", "待付款", (("FD-NUT-750", 2),), "微信支付", 0),
    ("DD202611010005", "阿狸不吃鱼", "退款中", (("DJ-M24-BK-XL", 1),), "支付宝", 9),
    ("DD202611010006", "柠檬不萌", "已付款", (("RC-IH40", 1),), "银行卡", 1),
    ("DD202611010007", "追风少年", "已完成", (("WT-GT4-BK", 1),), "微信支付", 30),
    ("DD202611010008", "静待花开", "已取消", (("SK-HYD-50", 2),), "支付宝", 4),
    ("DD202611010009", "吃货小王", "已发货", (("FD-NUT-750", 1), ("TEA-LJ-250", 1)), "微信支付", 5),
    ("DD202611010010", "月光宝盒", "已签收", (("VC-S8-PRO", 1),), "银行卡", 7),
    ("DD202611010011", "大橘为重", "已付款", (("TS-COT-WH-L", 2),), "支付宝", 1),
    ("DD202611010012", "一只小熊猫", "已退款", (("CUP-TH500", 1),), "微信支付", 12),
    ("DD202611010013", "夏天的风", "已发货", (("BK-LAP-GY", 1),), "支付宝", 2),
    ("DD202611010014", "奶茶续命", "退款中", (("EP-BUDS3-WH", 1),), "微信支付", 10),
    ("DD202611010015", "墨染青衣", "已完成", (("TEA-LJ-250", 2),), "支付宝", 20),
    ("DD202611010016", "土豆不是豆", "已完成", (("RC-IH40", 1),), "货到付款", 18),
    ("DD202611010017", "晴天娃娃", "待付款", (("PH-A15-512WH", 1),), "银行卡", 0),
    ("DD202611010018", "老张家的猫", "已签收", (("CUP-TH500", 2),), "微信支付", 5),
    ("DD202611010019", "数码控阿杰", "已发货",
     (("PH-A15-512WH", 1), ("EP-BUDS3-WH", 1)), "银行卡", 2),
    ("DD202611010020", "数码控阿杰", "已完成", (("WT-GT4-BK", 1),), "支付宝", 40),
    ("DD202611010021", "宝妈小李", "已付款", (("FD-NUT-750", 3),), "微信支付", 0),
    ("DD202611010022", "云朵里的鱼", "已取消", (("DJ-W24-PK-M", 1),), "支付宝", 6),
    ("DD202611010023", "不吃香菜", "已发货", (("TS-COT-WH-L", 5),), "微信支付", 4),
    ("DD202611010024", "早睡早起", "已完成", (("SK-HYD-50", 1),), "支付宝", 15),
    ("DD202611010025", "奔跑的蜗牛", "退款中", (("VC-S8-PRO", 1),), "银行卡", 14),
    ("DD202611010026", "木子李", "已付款", (("CB-C2C-100W", 3),), "微信支付", 1),
    ("DD202611010027", "橘子汽水", "已签收",
     (("DJ-M24-BK-XL", 1), ("DJ-W24-PK-M", 1)), "支付宝", 8),
    ("DD202611010028", "小确幸", "待付款", (("BK-LAP-GY", 1),), "支付宝", 1),
    ("DD202611010029", "风吹麦浪", "已发货", (("TEA-LJ-250", 1),), "货到付款", 3),
    ("DD202611010030", "铲屎官", "已完成", (("CUP-TH500", 1), ("CB-C2C-100W", 1)), "微信支付", 22),
    ("DD202611010031", "星河滚烫", "已退款", (("SK-HYD-50", 1),), "支付宝", 16),
    ("DD202611010032", "兔子不跑", "已付款", (("EP-BUDS3-WH", 2),), "支付宝", 0),
    ("DD202611010033", "江南烟雨", "已发货", (("RC-IH40", 1),), "微信支付", 4),
    ("DD202611010034", "月光宝盒", "已完成", (("FD-NUT-750", 2),), "银行卡", 35),
    ("DD202611010035", "橘子汽水", "已付款", (("PH-A15-256BK", 1),), "银行卡", 2),
    ("DD202611010036", "追风少年", "已签收", (("BK-LAP-GY", 1),), "微信支付", 6),
    ("DD202611010037", "小鱼儿", "已取消", (("TEA-LJ-250", 1),), "微信支付", 10),
    ("DD202611010038", "快乐购物狂", "已完成", (("VC-S8-PRO", 1),), "支付宝", 28),
    ("DD202611010039", "宝妈小李", "退款中", (("TS-COT-WH-L", 2),), "微信支付", 7),
    ("DD202611010040", "老张家的猫", "待付款", (("WT-GT4-BK", 1),), "支付宝", 0),
)

DEMO_ORDER_NOS: tuple[str, ...] = tuple(row[0] for row in _ORDERS)
DELAYED_ORDER_NO = "DD202611010009"

# How each final status was reached (every step is allowed by wire.ORDER_TRANSITIONS).
_STATUS_PATHS: dict[str, tuple[str, ...]] = {
    "待付款": ("待付款",),
    "已付款": ("待付款", "已付款"),
    "已发货": ("待付款", "已付款", "已发货"),
    "已签收": ("待付款", "已付款", "已发货", "已签收"),
    "已完成": ("待付款", "已付款", "已发货", "已签收", "已完成"),
    "退款中": ("待付款", "已付款", "已发货", "已签收", "退款中"),
    "已退款": ("待付款", "已付款", "退款中", "已退款"),
    "已取消": ("待付款", "已取消"),
}

# Typical time from the previous step to this status.
_STEP_DELAYS: dict[str, dt.timedelta] = {
    "待付款": dt.timedelta(0),
    "已付款": dt.timedelta(minutes=10),
    "已发货": dt.timedelta(hours=18),
    "已签收": dt.timedelta(days=2),
    "已完成": dt.timedelta(days=7),
    "退款中": dt.timedelta(days=1),
    "已退款": dt.timedelta(days=2),
    "已取消": dt.timedelta(minutes=30),
}

_CARRIERS: tuple[str, ...] = ("顺丰速运", "中通快递", "京东物流")
_WAREHOUSE_CITY = "广州"
_COURIER_PHONE = "138****6021"
_DELAY_DETAIL = "受华东地区强降雨影响，干线运输延误，预计晚1-2天送达，给您带来不便深表歉意"

# category, title, body, keywords (H9)
_KB: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("物流", "发货时间说明",
     "现货商品付款后48小时内发货，预售商品以商品页标注时间为准。大促期间可能顺延1-3天，"
     "客户可在订单详情查看预计发货时间。", ("发货", "什么时候发", "多久发", "预售")),
    ("物流", "物流信息长时间未更新",
     "物流信息超过48小时未更新时，先凭运单号向快递公司核实；确认滞留或丢件的，为客户登记补发"
     "或退款，并在订单上备注工号。", ("物流", "快递", "不更新", "还没到", "丢件", "滞留")),
    ("物流", "修改收货地址",
     "订单未发货前可直接修改地址；已发货订单可联系快递拦截改派，顺丰速运、京东物流支持改派，"
     "可能产生额外运费。", ("地址", "改地址", "拦截", "改派")),
    ("物流", "显示已签收但未收到",
     "先请客户查看门卫、快递柜、驿站及家人代收情况；仍未找到的，联系快递核实签收凭证，"
     "24小时内给客户答复。", ("签收", "没收到", "快递柜", "驿站")),
    ("物流", "偏远地区配送",
     "新疆、西藏、青海等偏远地区不参与包邮，运费以结算页为准，时效约5-7天。",
     ("偏远", "新疆", "西藏", "青海", "包邮", "运费")),
    ("售后", "七天无理由退货",
     "签收7天内、商品完好且不影响二次销售的，可申请七天无理由退货，退回运费由客户承担"
     "（购买了运费险的可理赔）。定制商品、生鲜食品、已拆封的个人护理用品除外。",
     ("退货", "七天", "无理由", "运费险")),
    ("售后", "质量问题退换货",
     "质量问题请客户提供商品照片或视频，审核通过后退换货运费由商家承担，客户可选择换新或退款。",
     ("质量", "破损", "坏了", "瑕疵", "换新", "退换")),
    ("售后", "退款到账时间",
     "退款审核通过后原路退回：支付宝、微信支付1-3个工作日，银行卡3-7个工作日，花呗退回额度。",
     ("退款", "到账", "退钱", "原路")),
    ("售后", "尺码不合适换货",
     "服装类签收15天内可免费换一次尺码，吊牌需完好；请客户在订单页提交换货申请并选择新尺码。",
     ("尺码", "换货", "换码", "大了", "小了")),
    ("售后", "数码产品保修政策",
     "手机、耳机、手表等数码产品享受全国联保一年，凭订单号即可；人为损坏、进水不在保修范围。",
     ("保修", "维修", "联保", "进水")),
    ("支付", "支付失败怎么办",
     "请客户确认银行卡余额与单笔限额、网络状态，尝试更换支付方式；多次失败请客户截图错误提示，"
     "转技术核查。", ("支付失败", "付款失败", "付不了", "限额")),
    ("支付", "已扣款但订单仍是待付款",
     "支付状态同步可能延迟5分钟；超过30分钟仍显示待付款的，请客户提供支付截图与交易单号，"
     "核实后人工处理。重复扣款会在1-3个工作日内原路退回。",
     ("扣款", "扣钱", "扣了", "待付款", "重复付款", "掉单")),
    ("支付", "分期付款与花呗",
     "单笔满300元支持花呗分期与信用卡分期，3期免息活动以商品页标识为准。",
     ("分期", "花呗", "免息", "信用卡")),
    ("支付", "发票开具",
     "订单完成后可在订单详情申请电子普通发票或增值税专用发票，专票需提供企业税号、开户行及账号。",
     ("发票", "专票", "开票", "税号")),
    ("商品", "价格保护规则",
     "签收后7天内同款商品降价，可申请价格保护退差价；秒杀、限量抢购及优惠券差价不参与价保。",
     ("降价", "差价", "保价", "价保")),
    ("商品", "正品与国行说明",
     "本店商品均为品牌官方授权正品，手机为国行版本，支持官方验机与全国联保。",
     ("正品", "假货", "国行", "行货")),
    ("商品", "优惠券使用规则",
     "店铺优惠券可与满减活动叠加使用，平台券以券面说明为准；每笔订单限用一张店铺券，"
     "订单退款后优惠券不退回。", ("优惠券", "优惠", "满减", "叠加")),
    ("商品", "羽绒服尺码建议",
     "身高170cm、体重65kg建议选L码，偏瘦可选M码；本款版型偏大，内搭较厚可选大一码。",
     ("尺码", "羽绒服", "身高", "体重", "多大码")),
    ("账户", "修改绑定手机号",
     "登录后在“账户设置 › 安全中心”修改绑定手机；原手机号已停用的，请客户提交人工申诉。"
     "客服不在聊天中索要密码或短信验证码。", ("手机号", "换绑", "绑定", "换手机")),
    ("账户", "会员等级与权益",
     "会员等级按近12个月消费累计：VIP1满1000元，VIP2满5000元，VIP3满20000元；"
     "VIP享受专属客服与生日礼券。", ("会员", "VIP", "等级", "权益", "积分")),
    ("账户", "账户被盗或异常登录",
     "提醒客户立即修改密码并解绑支付方式；客服绝不索要密码或验证码，可疑订单及时拦截并上报。",
     ("被盗", "盗号", "异常登录", "验证码", "密码")),
)

# Team quick phrases (快捷短语, H2.2), per team: group, title, text. The client fills
# {customer}, {agent} and {order_no} (app/services/phrases.py render_phrase).
_TEAM_PHRASES: dict[str, tuple[tuple[str, str, str], ...]] = {
    TEAM_PRESALES: (
        ("售前", "欢迎语",
         "{customer}您好，我是客服{agent}，很高兴为您服务，请问有什么可以帮您？"),
        ("售前", "正品保障",
         "本店商品均为品牌官方授权正品，手机为国行版本，支持全国联保，请您放心购买～"),
        ("售前", "优惠说明",
         "店铺优惠券可与满减活动叠加使用，下单时系统会自动选择最优组合，"
         "{customer}可以放心下单～"),
        ("物流", "发货时间",
         "现货商品付款后48小时内发货，发货后您可以在订单详情里查看物流信息哦～"),
        ("物流", "订单已发货",
         "{customer}您好，您的订单 {order_no} 已发货，请留意物流信息，注意查收～"),
        ("售后", "请提供订单号", "麻烦{customer}提供一下订单号，我马上为您查询处理～"),
        ("售后", "结束语",
         "感谢您的耐心等待，祝您生活愉快！如有其他问题随时联系我们，我是客服{agent}～"),
    ),
    TEAM_AFTERSALES: (
        ("售后", "请提供订单号", "麻烦{customer}提供一下订单号，我马上为您查询处理～"),
        ("售后", "质量问题取证",
         "非常抱歉给您带来不便，麻烦您拍一下商品问题部位的照片或视频，"
         "我们审核后尽快为您处理～"),
        ("售后", "退款进度",
         "订单 {order_no} 的退款已审核通过，将原路退回：支付宝、微信1-3个工作日，"
         "银行卡3-7个工作日到账～"),
        ("售后", "七天无理由",
         "签收7天内商品完好、不影响二次销售的可以申请七天无理由退货，"
         "退回运费由您承担（有运费险可理赔）～"),
        ("物流", "物流延误致歉",
         "{customer}您好，订单 {order_no} 受天气影响运输有所延误，预计晚1-2天送达，"
         "给您带来不便深表歉意～"),
        ("物流", "查询物流",
         "我这边帮您联系快递核实订单 {order_no} 的物流情况，有结果第一时间回复您～"),
    ),
}

# The demo agent's own phrases: employee id -> (group, title, text).
_PERSONAL_PHRASES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "20240001": (
        ("常用", "稍等查询", "好的{customer}，请稍等，我这边马上为您查询～"),
        ("常用", "转售后", "您的问题需要售后同事专门处理，我现在为您转接售后服务组，请稍候～"),
    ),
}


def demo_id(kind: str, key: str) -> str:
    """The fixed id of a demo row, e.g. `demo_id("agent", "20240001")`."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def order_numbers(*statuses: str) -> tuple[str, ...]:
    """Demo order numbers, optionally only those in one of `statuses`."""
    return tuple(row[0] for row in _ORDERS if not statuses or row[2] in statuses)


def load_demo(session: Session, *, now: dt.datetime) -> bool:
    """Adds the demo shop unless `demo.kefu` exists; flushes, the caller commits."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(dt.UTC)
    if session.scalar(select(Company.id).where(Company.domain == DEMO_DOMAIN)) is not None:
        return False
    company_id = demo_id("company", DEMO_DOMAIN)
    session.add(Company(id=company_id, domain=DEMO_DOMAIN, name=DEMO_COMPANY_NAME))
    session.flush()
    teams = _add_teams(session, company_id)
    _add_agents(session, company_id, teams)
    _add_tags(session, company_id)
    customers = _add_customers(session, company_id, teams, now)
    _add_products(session, company_id)
    _add_orders(session, company_id, customers, now)
    _add_knowledge_base(session, company_id)
    _add_shifts(session, teams)
    _add_quick_phrases(session, teams)
    session.add(VisitorBlock(id=demo_id("visitor_block", BLOCKED_VISITOR_KEY),
                             company_id=company_id, kind="visitor_key",
                             value=BLOCKED_VISITOR_KEY, reason="恶意骚扰"))
    session.flush()
    seed_history(session, company_id, now=now)
    return True


def _add_teams(session: Session, company_id: str) -> dict[str, str]:
    teams: dict[str, str] = {}
    for name, receives_visitors, auto_reply in _TEAMS:
        teams[name] = demo_id("team", name)
        # The H1.3 late-login lock is off in the demo: it starts at any hour, and its rostered
        # agents must always be able to log in (a lead can turn it on in 团队设置).
        session.add(Team(id=teams[name], company_id=company_id, name=name,
                         receives_visitors=receives_visitors, first_response_s=30,
                         complaint_response_s=300, auto_reply=auto_reply,
                         late_login_lock=False))
    session.flush()
    return teams


def _add_agents(session: Session, company_id: str, teams: dict[str, str]) -> None:
    for spec in _AGENTS:
        agent_id = demo_id("agent", spec.employee_id)
        session.add(Agent(
            id=agent_id, company_id=company_id, team_id=teams[spec.team],
            employee_id=spec.employee_id, account=f"{spec.employee_id}@{DEMO_DOMAIN}",
            name=spec.name, role=spec.role, password_hash=hash_password(_password_of(spec)),
            must_change_password=not spec.password_changed, presence="offline",
        ))
    session.flush()
    for spec in _AGENTS:
        for team in spec.manages:
            session.add(TeamManager(agent_id=demo_id("agent", spec.employee_id),
                                    team_id=teams[team]))
    session.flush()


def _add_tags(session: Session, company_id: str) -> None:
    """Adds the tag tree level by level, so every parent exists before its children."""
    levels: list[list[tuple[str, str | None]]] = [[], [], []]
    for top, children in _TAG_TREE:
        levels[0].append((top, None))
        for child, leaves in children:
            levels[1].append((f"{top}/{child}", top))
            levels[2].extend((f"{top}/{child}/{leaf}", f"{top}/{child}") for leaf in leaves)
    for level, rows in enumerate(levels, start=1):
        for path, parent in rows:
            session.add(Tag(id=demo_id("tag", path), company_id=company_id,
                            parent_id=demo_id("tag", parent) if parent else None,
                            level=level, name=path.rsplit("/", 1)[-1]))
        session.flush()


def _add_customers(
    session: Session, company_id: str, teams: dict[str, str], now: dt.datetime
) -> dict[str, Customer]:
    customers: dict[str, Customer] = {}
    for index, row in enumerate(_CUSTOMERS):
        nickname, vip, phone, _city, address, id17, team, tag_paths = row
        customers[nickname] = Customer(
            id=demo_id("customer", nickname), company_id=company_id, team_id=teams[team],
            nickname=nickname, vip_level=vip, phone=phone, address=address,
            id_number=_with_check_digit(id17), tags=[demo_id("tag", p) for p in tag_paths],
            created_at=now - dt.timedelta(days=90 + 9 * index, hours=index % 7),
        )
        session.add(customers[nickname])
    session.flush()
    return customers


def _with_check_digit(body: str) -> str:
    """Completes a 17-digit resident ID body with its ISO 7064 check character."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(digit) * weight for digit, weight in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


def _add_products(session: Session, company_id: str) -> None:
    for sku, name, price_cents, specs, promotion in _PRODUCTS:
        session.add(Product(id=demo_id("product", sku), company_id=company_id, sku=sku,
                            name=name, price_cents=price_cents, specs=dict(specs),
                            promotion=promotion))
    session.flush()


def _add_orders(
    session: Session, company_id: str, customers: dict[str, Customer], now: dt.datetime
) -> None:
    products = {sku: (name, price) for sku, name, price, _specs, _promo in _PRODUCTS}
    cities = {row[0]: row[3] for row in _CUSTOMERS}
    for index, (order_no, nickname, status, items, payment, days_ago) in enumerate(_ORDERS):
        customer = customers[nickname]
        created = now - dt.timedelta(days=days_ago, hours=2 + index % 9, minutes=7 * index % 60)
        steps = _history_times(_STATUS_PATHS[status], created, now)
        lines = [{"sku": sku, "name": products[sku][0], "qty": qty,
                  "price_cents": products[sku][1]} for sku, qty in items]
        order = Order(
            id=demo_id("order", order_no), company_id=company_id, team_id=customer.team_id,
            order_no=order_no, customer_id=customer.id, status=status,
            total_cents=sum(line["qty"] * line["price_cents"] for line in lines),
            payment_method=payment, address=customer.address, lines=lines,
            history=[{"at": at.isoformat(), "status": s, "by": "system"} for s, at in steps],
            created_at=created,
        )
        session.add(order)
        session.flush()
        _add_logistics(session, order, dict(steps), cities[nickname], index, now)
    session.flush()


def _history_times(
    path: tuple[str, ...], created: dt.datetime, now: dt.datetime
) -> list[tuple[str, dt.datetime]]:
    """When each status in `path` was reached: typical delays, squeezed to end before `now`."""
    total = sum((_STEP_DELAYS[status] for status in path), dt.timedelta(0))
    room = now - dt.timedelta(minutes=5) - created
    scale = min(1.0, room / total) if total else 1.0
    steps: list[tuple[str, dt.datetime]] = []
    at = created
    for status in path:
        at += _STEP_DELAYS[status] * scale
        steps.append((status, at))
    return steps


def _add_logistics(
    session: Session, order: Order, reached: dict[str, dt.datetime], city: str, index: int,
    now: dt.datetime,
) -> None:
    """Tracking events for an order that was shipped (H7)."""
    shipped = reached.get("已发货")
    if shipped is None:
        return
    carrier = _CARRIERS[index % len(_CARRIERS)]
    tracking_no = _tracking_no(carrier, index)
    received = reached.get("已签收")
    end = received or now
    for number, (fraction, status, detail) in enumerate(
        _tracking_steps(carrier, city, delivered=received is not None,
                        delayed=order.order_no == DELAYED_ORDER_NO)
    ):
        at = end if fraction is None else shipped + (end - shipped) * fraction
        session.add(LogisticsEvent(
            id=demo_id("logistics", f"{order.order_no}:{number}"), order_id=order.id,
            team_id=order.team_id, at=at, carrier=carrier, tracking_no=tracking_no,
            status=status, detail=detail,
        ))


def _tracking_steps(
    carrier: str, city: str, *, delivered: bool, delayed: bool
) -> list[tuple[float | None, str, str]]:
    """(fraction of the way from shipping to delivery or now, status, detail) per event."""
    steps: list[tuple[float | None, str, str]] = [
        (0.05, "已揽收", f"【{_WAREHOUSE_CITY}市】{carrier} 已揽收，快件正发往转运中心"),
        (0.35, "运输中", f"快件已从【{_WAREHOUSE_CITY}转运中心】发出，下一站【{city}转运中心】"),
    ]
    if delayed:
        steps.append((0.8, "延误", _DELAY_DETAIL))
    elif delivered:
        steps += [
            (0.7, "运输中", f"快件已到达【{city}转运中心】"),
            (0.9, "派送中", f"【{city}市】快递员正在派送，联系电话 {_COURIER_PHONE}"),
            (None, "已签收", f"【{city}市】已签收，签收人：本人。感谢使用{carrier}"),
        ]
    else:
        steps.append((0.75, "运输中", f"快件已到达【{city}转运中心】，即将安排派送"))
    return steps


def _tracking_no(carrier: str, index: int) -> str:
    digits = f"{(731_104_729_013 + 982_451_653 * (index + 1) ** 2) % 10**12:012d}"
    if carrier == "顺丰速运":
        return f"SF1{digits}"
    if carrier == "中通快递":
        return f"75{digits}"
    return f"JDVB{digits[:11]}"


def _add_knowledge_base(session: Session, company_id: str) -> None:
    for index, (category, title, body, keywords) in enumerate(_KB, start=1):
        session.add(KbEntry(id=demo_id("kb", f"{index:03d}"), company_id=company_id,
                            category=category, title=title, body=body,
                            keywords=list(keywords)))
    session.flush()


def _add_shifts(session: Session, teams: dict[str, str]) -> None:
    for team_name, team_id in teams.items():
        team = session.get(Team, team_id)
        assert team is not None
        rosters = {shift: [demo_id("agent", e) for e in employee_ids]
                   for shift, employee_ids in _ROSTERS.get(team_name, {}).items()}
        ensure_default_shifts(session, None, team, rosters=rosters)
    session.flush()


def _add_quick_phrases(session: Session, teams: dict[str, str]) -> None:
    """Team sets (owner None) and the demo agent's personal ones. Like the other demo rows they
    are not published: bootstrap reads the tables, and the demo exists before any client."""
    for team, phrases in _TEAM_PHRASES.items():
        for group, title, text in phrases:
            session.add(QuickPhrase(id=demo_id("quick_phrase", f"{team}/{group}/{title}"),
                                    team_id=teams[team], owner_id=None, group=group,
                                    title=title, text=text))
    team_of = {spec.employee_id: spec.team for spec in _AGENTS}
    for employee_id, phrases in _PERSONAL_PHRASES.items():
        agent_id = demo_id("agent", employee_id)
        for group, title, text in phrases:
            session.add(QuickPhrase(id=demo_id("quick_phrase", f"{employee_id}/{group}/{title}"),
                                    team_id=teams[team_of[employee_id]], owner_id=agent_id,
                                    group=group, title=title, text=text))
    session.flush()
