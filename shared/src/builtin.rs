//! The built-in pipelines seeded on first start: `tender` (the seed's
//! seven-stage example with tendering, 图2) and `direct` (no tendering).
//! Requirements follow the stage framework (图3); small deals (C/D) and
//! partner deals (E) carry fewer of them, as the seed's grading says.

use crate::grade::Grade::{self, A, B, C, D, E};
use crate::i18n::Localized;
use crate::pipeline::{
    Approver, FieldKind, Grades, Key, Pipeline, Process, RequiredField, RequiredTask,
    RoleRequirement, Stage, TeamRole,
};
use crate::user::Role;

/// Fields the final stage requires to win; a `won` transition's `contract`
/// fills them.
pub const CONTRACT_NUMBER: &str = "contract_number";
pub const CONTRACT_AMOUNT: &str = "contract_amount";
pub const SIGNED_ON: &str = "signed_on";

const ALL: &[Grade] = &[A, B, C, D, E];
const BIG: &[Grade] = &[A, B];
const OURS: &[Grade] = &[A, B, C, D];

fn key(s: &str) -> Key {
    // Every key below is a snake_case literal; the tests build every pipeline.
    Key::parse(s).expect("built-in keys are valid")
}

fn t(zh: &str, en: &str) -> Localized {
    Localized::new(zh, en)
}

fn field(k: &str, zh: &str, en: &str, kind: FieldKind, grades: &[Grade]) -> RequiredField {
    RequiredField {
        key: key(k),
        label: t(zh, en),
        kind,
        options: None,
        grades: Grades::of(grades),
    }
}

fn select(k: &str, zh: &str, en: &str, options: &[&str], grades: &[Grade]) -> RequiredField {
    RequiredField {
        options: Some(options.iter().map(|o| o.to_string()).collect()),
        ..field(k, zh, en, FieldKind::Select, grades)
    }
}

fn task(k: &str, label: (&str, &str), description: (&str, &str), grades: &[Grade]) -> RequiredTask {
    RequiredTask {
        key: key(k),
        label: t(label.0, label.1),
        description: t(description.0, description.1),
        grades: Grades::of(grades),
    }
}

fn process(k: &str, zh: &str, en: &str, approver: Approver, grades: &[Grade]) -> Process {
    Process {
        key: key(k),
        label: t(zh, en),
        approver,
        grades: Grades::of(grades),
    }
}

fn role(r: &str, grades: &[Grade]) -> RoleRequirement {
    RoleRequirement {
        role: key(r),
        grades: Grades::of(grades),
    }
}

struct Head {
    key: &'static str,
    name: (&'static str, &'static str),
    entry: (&'static str, &'static str),
    exit: (&'static str, &'static str),
    probability: u8,
    max_days: u16,
    skippable: bool,
}

fn stage(h: Head) -> Stage {
    Stage {
        key: key(h.key),
        name: t(h.name.0, h.name.1),
        entry: t(h.entry.0, h.entry.1),
        exit: t(h.exit.0, h.exit.1),
        probability: h.probability,
        max_days: h.max_days,
        skippable: h.skippable,
        required_fields: vec![],
        required_tasks: vec![],
        processes: vec![],
        roles: vec![],
    }
}

/// The deal-team roles that can be staffed.
pub fn team_roles() -> Vec<TeamRole> {
    [
        ("presales", "售前顾问", "Presales consultant"),
        ("solution_architect", "解决方案架构师", "Solution architect"),
        ("bid_manager", "投标经理", "Bid manager"),
        ("legal", "法务", "Legal counsel"),
        ("finance", "财务", "Finance"),
        ("delivery", "交付经理", "Delivery manager"),
    ]
    .into_iter()
    .map(|(k, zh, en)| TeamRole {
        key: key(k),
        name: t(zh, en),
    })
    .collect()
}

fn verify() -> Stage {
    Stage {
        required_fields: vec![
            field(
                "need_summary",
                "客户需求概述",
                "Customer need in brief",
                FieldKind::LongText,
                ALL,
            ),
            select(
                "budget_status",
                "预算状态",
                "Budget status",
                &[
                    "已落实 / Approved",
                    "申请中 / Being requested",
                    "未知 / Unknown",
                ],
                OURS,
            ),
        ],
        required_tasks: vec![
            task(
                "contact_confirmed",
                ("确认项目联系人", "Confirm the project contact"),
                (
                    "与线索中的联系人通话，确认其角色和项目真实性。",
                    "Call the lead's contact; confirm their role and that the project is real.",
                ),
                ALL,
            ),
            task(
                "participation_decision",
                ("确认参与", "Decide to pursue"),
                (
                    "与主管确认我司要参与该项目。",
                    "Agree with your manager that we will pursue this project.",
                ),
                BIG,
            ),
        ],
        ..stage(Head {
            key: "verify",
            name: ("验证商机", "Verify"),
            entry: ("收集到销售线索", "A lead is collected"),
            exit: (
                "确认是真实商机，开始协调内部资源",
                "Confirmed as real; we start coordinating internal resources",
            ),
            probability: 10,
            max_days: 14,
            skippable: false,
        })
    }
}

fn initiate() -> Stage {
    Stage {
        required_fields: vec![
            field(
                "decision_chain",
                "决策链",
                "Decision chain",
                FieldKind::LongText,
                OURS,
            ),
            field(
                "project_budget",
                "项目预算",
                "Project budget",
                FieldKind::Money,
                &[A, B, C],
            ),
        ],
        required_tasks: vec![task(
            "initiation_report",
            ("编写立项报告", "Write the initiation report"),
            (
                "说明客户、需求、竞争、预计金额和所需资源。",
                "Customer, need, competition, expected amount and resources needed.",
            ),
            BIG,
        )],
        processes: vec![process(
            "initiation_review",
            "项目立项审核",
            "Initiation review",
            Approver::Role(Role::Manager),
            BIG,
        )],
        roles: vec![role("presales", BIG)],
        ..stage(Head {
            key: "initiate",
            name: ("商机立项", "Initiation"),
            entry: (
                "开始协调内部资源",
                "Internal resources start to be coordinated",
            ),
            exit: (
                "立项审核通过，项目团队组成",
                "Initiation review approved, deal team formed",
            ),
            probability: 20,
            max_days: 21,
            skippable: true,
        })
    }
}

fn analyze() -> Stage {
    Stage {
        required_fields: vec![
            field(
                "value_proposition",
                "价值主张",
                "Value proposition",
                FieldKind::LongText,
                BIG,
            ),
            field(
                "competitors",
                "主要竞争对手",
                "Main competitors",
                FieldKind::Text,
                BIG,
            ),
            field(
                "competitive_strategy",
                "竞争策略",
                "Competitive strategy",
                FieldKind::LongText,
                BIG,
            ),
        ],
        required_tasks: vec![
            task(
                "needs_research",
                ("需求调研", "Needs research"),
                (
                    "走访关键用户，整理业务痛点和需求清单。",
                    "Interview key users; list business pains and requirements.",
                ),
                BIG,
            ),
            task(
                "action_plan",
                ("制定行动计划", "Set the action plan"),
                (
                    "明确下一步行动、负责人和时间。",
                    "Next actions with owners and dates.",
                ),
                BIG,
            ),
        ],
        roles: vec![role("solution_architect", &[A])],
        ..stage(Head {
            key: "analyze",
            name: ("需求分析", "Needs analysis"),
            entry: (
                "立项审核通过，项目团队组成",
                "Initiation approved, deal team formed",
            ),
            exit: (
                "确定价值主张、竞争策略和行动方案",
                "Value proposition, competitive strategy and action plan set",
            ),
            probability: 30,
            max_days: 30,
            skippable: true,
        })
    }
}

fn present() -> Stage {
    Stage {
        required_fields: vec![field(
            "customer_feedback",
            "客户对方案的反馈",
            "Customer feedback on the solution",
            FieldKind::LongText,
            BIG,
        )],
        required_tasks: vec![
            task(
                "solution_presentation",
                ("方案宣讲", "Present the solution"),
                (
                    "向客户决策层和关键用户宣讲方案。",
                    "Present the solution to the decision makers and key users.",
                ),
                BIG,
            ),
            task(
                "reference_visit",
                ("标杆客户参观", "Reference visit"),
                (
                    "安排客户参观同行业标杆项目。",
                    "Take the customer to a reference site in their industry.",
                ),
                &[A],
            ),
        ],
        ..stage(Head {
            key: "present",
            name: ("价值呈现", "Value presentation"),
            entry: ("竞争策略和行动计划确定", "Strategy and plan set"),
            exit: (
                "客户开始起草招标文件，我方争取主导权",
                "Customer starts drafting the tender; we shape it",
            ),
            probability: 45,
            max_days: 45,
            skippable: true,
        })
    }
}

fn tender_prep() -> Stage {
    Stage {
        required_fields: vec![
            field(
                "tender_agency",
                "招标代理机构",
                "Tender agency",
                FieldKind::Text,
                BIG,
            ),
            field(
                "expected_tender_date",
                "预计发标日期",
                "Expected tender date",
                FieldKind::Date,
                OURS,
            ),
        ],
        required_tasks: vec![task(
            "shape_requirements",
            ("引导招标技术参数", "Shape the tender requirements"),
            (
                "向客户提供技术规范建议，争取有利的评分标准。",
                "Suggest specifications and scoring that favour our solution.",
            ),
            BIG,
        )],
        roles: vec![role("bid_manager", BIG)],
        ..stage(Head {
            key: "tender_prep",
            name: ("招标准备", "Tender preparation"),
            entry: ("客户起草招标书", "Customer drafts the tender"),
            exit: ("客户正式发标", "Tender formally issued"),
            probability: 60,
            max_days: 45,
            skippable: true,
        })
    }
}

fn bidding() -> Stage {
    Stage {
        required_fields: vec![
            field("bid_price", "投标报价", "Bid price", FieldKind::Money, ALL),
            field(
                "bid_deadline",
                "投标截止日期",
                "Bid deadline",
                FieldKind::Date,
                OURS,
            ),
        ],
        required_tasks: vec![task(
            "bid_document",
            ("编制标书", "Prepare the bid"),
            (
                "技术标、商务标按时完成并盖章。",
                "Technical and commercial bids complete, signed and sealed on time.",
            ),
            ALL,
        )],
        processes: vec![process(
            "bid_pricing_review",
            "投标报价审批",
            "Bid pricing review",
            Approver::Role(Role::Manager),
            OURS,
        )],
        roles: vec![role("bid_manager", BIG)],
        ..stage(Head {
            key: "bidding",
            name: ("组织投标", "Bidding"),
            entry: ("客户正式发标", "Tender issued"),
            exit: ("投标结果公布", "Bid result announced"),
            probability: 75,
            max_days: 30,
            skippable: true,
        })
    }
}

fn propose() -> Stage {
    Stage {
        required_fields: vec![
            field(
                "quote_amount",
                "报价金额",
                "Quoted amount",
                FieldKind::Money,
                ALL,
            ),
            field(
                "quote_valid_until",
                "报价有效期至",
                "Quote valid until",
                FieldKind::Date,
                OURS,
            ),
        ],
        required_tasks: vec![task(
            "proposal_document",
            ("提交方案和报价", "Send the proposal and quote"),
            (
                "方案书和报价单发给客户并确认收到。",
                "Proposal and quote sent to the customer and receipt confirmed.",
            ),
            ALL,
        )],
        processes: vec![process(
            "quote_review",
            "报价审批",
            "Quote review",
            Approver::Role(Role::Manager),
            BIG,
        )],
        roles: vec![role("presales", BIG)],
        ..stage(Head {
            key: "propose",
            name: ("方案报价", "Proposal & quote"),
            entry: ("价值主张和行动方案确定", "Value proposition and plan set"),
            exit: (
                "客户接受方案，进入商务谈判",
                "Customer accepts the proposal; negotiation starts",
            ),
            probability: 60,
            max_days: 30,
            skippable: true,
        })
    }
}

fn negotiate() -> Stage {
    Stage {
        required_fields: vec![
            field(
                CONTRACT_NUMBER,
                "合同编号",
                "Contract number",
                FieldKind::Text,
                ALL,
            ),
            field(
                CONTRACT_AMOUNT,
                "合同金额",
                "Contract amount",
                FieldKind::Money,
                ALL,
            ),
            field(SIGNED_ON, "签约日期", "Signing date", FieldKind::Date, ALL),
        ],
        required_tasks: vec![task(
            "contract_draft",
            ("确定合同文本", "Agree the contract text"),
            (
                "与客户就合同条款达成一致。",
                "Terms agreed with the customer.",
            ),
            ALL,
        )],
        processes: vec![process(
            "contract_review",
            "合同评审",
            "Contract review",
            Approver::TeamRole(key("legal")),
            BIG,
        )],
        roles: vec![role("legal", BIG), role("finance", &[A])],
        ..stage(Head {
            key: "negotiate",
            name: ("谈判签约", "Negotiation & signing"),
            entry: ("宣布我司中标", "We are announced winner"),
            exit: ("合同签订", "Contract signed"),
            probability: 90,
            max_days: 30,
            skippable: false,
        })
    }
}

/// `tender`: with tendering (seed 图2), seven stages.
pub fn tender() -> Pipeline {
    Pipeline {
        id: key("tender"),
        name: t("招投标类项目", "With tendering"),
        stages: vec![
            verify(),
            initiate(),
            analyze(),
            present(),
            tender_prep(),
            bidding(),
            negotiate(),
        ],
        version: 1,
    }
}

/// `direct`: no tendering, five stages.
pub fn direct() -> Pipeline {
    Pipeline {
        id: key("direct"),
        name: t("直签类项目", "Direct (no tendering)"),
        stages: vec![verify(), initiate(), analyze(), propose(), negotiate()],
        version: 1,
    }
}

/// A new pipeline's frame before an admin shapes it: verification on the
/// lead, and the final stage that ends at a signed contract.
pub fn skeleton(id: Key, name: Localized) -> Pipeline {
    let mut frame = direct();
    frame.id = id;
    frame.name = name;
    frame.version = 1;
    let last = frame.stages.len() - 1;
    frame.stages = vec![frame.stages[0].clone(), frame.stages[last].clone()];
    frame
}

pub fn pipelines() -> Vec<Pipeline> {
    vec![tender(), direct()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tender_has_the_seven_stages_of_the_seed_in_order() {
        let keys: Vec<_> = tender().stages.iter().map(|s| s.key.to_string()).collect();
        assert_eq!(
            keys,
            [
                "verify",
                "initiate",
                "analyze",
                "present",
                "tender_prep",
                "bidding",
                "negotiate"
            ]
        );
        let names: Vec<_> = tender()
            .stages
            .iter()
            .map(|s| s.name.zh.to_string())
            .collect();
        assert_eq!(
            names,
            [
                "验证商机",
                "商机立项",
                "需求分析",
                "价值呈现",
                "招标准备",
                "组织投标",
                "谈判签约"
            ]
        );
        let p: Vec<_> = tender().stages.iter().map(|s| s.probability).collect();
        assert_eq!(p, [10, 20, 30, 45, 60, 75, 90]);
    }

    #[test]
    fn direct_has_five_stages_with_proposal_before_negotiation() {
        let keys: Vec<_> = direct().stages.iter().map(|s| s.key.to_string()).collect();
        assert_eq!(
            keys,
            ["verify", "initiate", "analyze", "propose", "negotiate"]
        );
    }

    #[test]
    fn initiation_is_reviewed_by_the_sales_director_and_contracts_by_legal() {
        let p = tender();
        let (_, review) = p.find_process("initiation_review").unwrap();
        assert_eq!(review.approver, Approver::Role(Role::Manager));
        let (stage, contract) = p.find_process("contract_review").unwrap();
        assert_eq!(stage.key, "negotiate");
        assert_eq!(contract.approver, Approver::TeamRole(key("legal")));
        assert!(p.find_process("bid_pricing_review").is_some());
    }

    #[test]
    fn winning_requires_contract_number_amount_and_signing_date() {
        for p in pipelines() {
            let last = p.last().unwrap();
            for k in [CONTRACT_NUMBER, CONTRACT_AMOUNT, SIGNED_ON] {
                let f = last
                    .field(k)
                    .unwrap_or_else(|| panic!("{} lacks {k}", p.id));
                assert_eq!(f.grades, Grades::ALL);
            }
        }
    }

    #[test]
    fn small_deals_carry_fewer_requirements_than_big_ones() {
        for p in pipelines() {
            let count = |g| {
                p.stages
                    .iter()
                    .map(|s| s.requirement_count(Some(g)))
                    .sum::<usize>()
            };
            assert!(count(A) > count(C), "{}", p.id);
            assert!(count(B) > count(D), "{}", p.id);
        }
    }

    #[test]
    fn every_stage_after_verification_has_requirements_for_big_deals() {
        for p in pipelines() {
            for s in &p.stages {
                assert!(s.requirement_count(Some(A)) > 0, "{}/{}", p.id, s.key);
            }
        }
    }
}
