//! Every piece of text the app shows, in zh-CN and en, in one table; and the
//! current language, which follows the browser and persists once chosen.

use leptos::prelude::*;
pub use shared::Lang;

/// One table: each message's key, then its zh-CN and en text. The macro
/// makes the `Msg` enum, `Msg::ALL` (for the completeness test) and the
/// lookup from it, so a message is written once.
macro_rules! messages {
    ($($name:ident => ($zh:expr, $en:expr $(,)?)),* $(,)?) => {
        /// The keys of the table.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Msg {
            $($name,)*
        }

        impl Msg {
            pub const ALL: &'static [Msg] = &[$(Msg::$name,)*];

            /// `(zh-CN, en)`.
            const fn pair(self) -> (&'static str, &'static str) {
                match self {
                    $(Msg::$name => ($zh, $en),)*
                }
            }
        }
    };
}

messages! {
    AppName => ("Dealgate", "Dealgate"),
    NavAbout => ("关于", "About"),
    Language => ("语言", "Language"),
    Loading => ("加载中…", "Loading…"),
    ErrorTitle => ("出错了", "Something went wrong"),
    ErrorNetwork => (
        "无法连接服务器，请检查网络后重试。",
        "Cannot reach the server. Check your connection and try again.",
    ),
    ErrorUnexpected => (
        "服务器返回了意外的结果",
        "The server gave an unexpected answer",
    ),
    ErrorGradingPolicy => (
        "分级规则配置有误（金额门槛须满足 A ≥ B ≥ C > 0），无法判断商机能否推进。请联系管理员修正后重试。",
        "The grading thresholds in the settings are invalid (they must satisfy A ≥ B ≥ C > 0), so no verdict can be given. Ask an admin to correct them, then try again.",
    ),
    Retry => ("重试", "Try again"),
    NotFoundTitle => ("页面不存在", "Page not found"),
    NotFoundBody => (
        "您要找的页面不存在或已被移动。",
        "The page you are looking for does not exist or has moved.",
    ),
    BackHome => ("返回首页", "Back to home"),
    ServerStatus => ("服务状态", "Server status"),
    ServerOk => ("运行正常", "Running"),
    ServerVersion => ("服务端版本", "Server version"),
    AppVersion => ("应用版本", "App version"),
    AboutTitle => ("关于 Dealgate", "About Dealgate"),
    AboutBody => (
        "Dealgate 按 TAS+ 方法管理复杂 B2B 销售过程。",
        "Dealgate runs complex B2B sales the TAS+ way.",
    ),
    SkipToContent => ("跳到正文", "Skip to content"),
    NavUsers => ("用户管理", "Users"),
    SignInTitle => ("登录 Dealgate", "Sign in to Dealgate"),
    Email => ("电子邮箱", "E-mail"),
    Password => ("密码", "Password"),
    SignIn => ("登录", "Sign in"),
    SigningIn => ("正在登录…", "Signing in…"),
    SignOut => ("退出登录", "Sign out"),
    AdminOnly => (
        "只有管理员可以访问此页面。",
        "Only admins can open this page.",
    ),
    Create => ("创建", "Create"),
    RoleRep => ("销售", "Sales rep"),
    RoleManager => ("销售总监", "Sales director"),
    RoleChannel => ("渠道经理", "Channel manager"),
    RoleAdmin => ("管理员", "Admin"),
    Status => ("状态", "Status"),
    SignedInAs => ("当前用户", "Signed in as"),
    // Deals and leads (#5)
    NavBoard => ("看板", "Board"),
    BoardHeading => ("销售管道看板", "Pipeline board"),
    NavOpportunities => ("商机", "Opportunities"),
    NavLeads => ("线索", "Leads"),
    Choose => ("请选择…", "Choose…"),
    MetOf => ("已满足 {met}/{total} 项", "{met} of {total} met"),
    ReadyToMove => ("可以推进", "Ready to move on"),
    BlockedBy => ("尚缺：", "Blocked by:"),
    TrackFull => ("完整流程", "Full process"),
    TrackFast => ("快速通道", "Fast track"),
    TrackPartner => ("伙伴主导", "Partner-led"),
    UnknownPipeline => ("该商机的销售流程已不存在。", "This deal's pipeline no longer exists."),
    StatusOpen => ("进行中", "Open"),
    StatusWon => ("赢单", "Won"),
    StatusLost => ("输单", "Lost"),
    Owner => ("负责人", "Owner"),
    ConflictNotice => (
        "其他人刚刚修改了这个商机，已显示最新内容；您输入但尚未保存的内容仍保留。请检查后重试。",
        "Someone else just changed this deal. It now shows the latest state; what you typed and did not save is kept. Check and try again.",
    ),
    StepDone => ("已完成", "done"),
    StepCurrent => ("当前阶段", "current stage"),
    StepSkipped => ("已跳过", "skipped"),
    StepAhead => ("未开始", "ahead"),
    Entry => ("进入条件：", "Entry:"),
    Exit => ("退出条件：", "Exit:"),
    SaveFields => ("保存字段", "Save fields"),
    UnsavedChanges => ("有未保存的修改", "Unsaved changes"),
    FixToSave => ("{n} 项填写有误，改正后才会保存", "{n} to fix: not saved until corrected"),
    DiscardChanges => ("放弃修改", "Discard changes"),
    ConfirmDiscard => ("放弃尚未保存的修改？", "Discard the changes you have not saved?"),
    TaskNote => ("备注", "Note"),
    DoneBy => ("完成人", "Done by"),
    Approver => ("审批人", "Approver"),
    ApprovalNotRequested => ("未申请", "Not requested"),
    ApprovalPending => ("待审批", "Pending"),
    ApprovalApproved => ("已批准", "Approved"),
    ApprovalRejected => ("已驳回", "Rejected"),
    RequestApproval => ("申请审批", "Request approval"),
    Comment => ("审批意见", "Comment"),
    Approve => ("批准", "Approve"),
    Reject => ("驳回", "Reject"),
    Staff => ("指派", "Assign"),
    Moves => ("推进", "Move the deal"),
    Advance => ("推进到下一阶段", "Advance to the next stage"),
    SaveFirst => ("请先保存修改", "Save your changes first"),
    SkipToFinal => ("直接跳到最后阶段", "Skip to the final stage"),
    SkipHint => ("C/D/E 类商机满足当前阶段要求后可直接进入最后阶段", "C/D/E deals may jump to the final stage once this stage is met"),
    WinTitle => ("签约赢单", "Win: the signed contract"),
    ContractNumber => ("合同编号", "Contract number"),
    ContractAmount => ("合同金额", "Contract amount"),
    SignedOn => ("签约日期", "Signed on"),
    MarkWon => ("标记为赢单", "Mark as won"),
    MovedOn => ("已推进到“{stage}”。如需撤回，请用下方的“移回之前的阶段”，需填写原因。", "Moved on to “{stage}”. To undo it, use “Move back a stage” below: it asks for a reason."),
    ConfirmSkip => ("将跳过 {n} 个阶段，直接进入“{stage}”。确定吗？", "Skip {n} stages and go straight to “{stage}”?"),
    ConfirmLose => ("确定将该商机标记为输单？此操作不可撤销。", "Mark this deal as lost? This cannot be undone."),
    MarkLost => ("标记为输单", "Mark as lost"),
    LostReason => ("输单原因", "Why it was lost"),
    Competitor => ("竞争对手", "Competitor"),
    MoveBack => ("移回之前的阶段", "Move back a stage"),
    BackTo => ("移回到", "Back to"),
    Reason => ("原因", "Reason"),
    Grade => ("分级", "Grade"),
    GradeComputed => ("规则计算", "Computed"),
    GradeOverride => ("人工调整", "Override"),
    GradeEffective => ("生效等级", "Effective"),
    Track => ("流程", "Track"),
    UpgradeTo => ("上调为", "Upgrade to"),
    Upgrade => ("上调等级", "Upgrade"),
    History => ("历史记录", "History"),
    EvCreated => ("创建", "Created"),
    EvConverted => ("由线索转化为商机", "Converted from a lead"),
    EvDisqualified => ("作废", "Disqualified"),
    EvAdvanced => ("推进阶段", "Advanced"),
    EvSkipped => ("跳过阶段", "Skipped"),
    EvMovedBack => ("移回阶段", "Moved back"),
    EvWon => ("赢单", "Won"),
    EvLost => ("输单", "Lost"),
    EvUpdated => ("修改", "Updated"),
    EvFieldSet => ("填写", "Filled in"),
    EvFieldCleared => ("清空", "Cleared"),
    EvTaskDone => ("完成任务", "Task done"),
    EvTaskUndone => ("任务改为未完成", "Task reopened"),
    EvApprovalRequested => ("申请审批", "Approval requested"),
    EvApproved => ("批准", "Approved"),
    EvRejected => ("驳回", "Rejected"),
    EvTeamChanged => ("调整团队", "Team changed"),
    EvGradeOverridden => ("人工调整等级", "Grade overridden"),
    EvRegraded => ("重新分级", "Regraded"),
    EvProtectionExpired => ("伙伴报备保护期已结束", "Partner protection ended"),
    EvOwnerChanged => ("更换负责人", "Owner changed"),
    EvReopened => ("重新打开", "Reopened"),
    PossibleDuplicates => (
        "可能重复：以下进行中的线索或商机客户相同、项目相近。仍可创建。",
        "Possible duplicates: these open leads or deals have the same customer and a similar project. You can still create this one.",
    ),
    KindLead => ("线索", "Lead"),
    AllOwners => ("全部负责人", "All owners"),
    SkippedStageNeeded => ("已跳过的阶段「{stage}」：升级后赢单前须完成", "Skipped stage “{stage}”: needed before a win now that the deal is upgraded"),
    DaysInStageShort => ("阶段天数", "Days in stage"),
    DropHere => ("松开即移到此阶段", "Drop to move it here"),
    DropRefused => ("不能移到此阶段：", "Cannot move here:"),
    Weighted => ("加权", "Weighted"),
    WeightedHint => ("金额 × 本阶段赢率", "Amount × this stage's win probability"),
    MoveTo => ("移到…", "Move to…"),
    MoveRefused => ("不能移动，还需：", "Cannot move yet. Still needed:"),
    LeadDescription => ("项目说明", "Description"),
    EditLead => ("编辑线索", "Edit the lead"),
    SaveLead => ("保存线索", "Save the lead"),
    KindDeal => ("商机", "Deal"),
    OwnedBy => ("负责人：{name}", "owned by {name}"),
    EvNote => ("备注", "Note"),
    NoHistory => ("还没有记录。", "Nothing recorded yet."),
    AddNote => ("添加备注", "Add a note"),
    AddNoteButton => ("添加", "Add"),
    Reopen => ("重新打开", "Reopen"),
    ReopenDeal => ("重新打开商机", "Reopen the deal"),
    ReopenLead => ("重新打开线索", "Reopen the lead"),
    ReopenHint => (
        "商机将回到关闭时所在的阶段，原因会记录在历史中。",
        "The deal goes back to the stage it closed in; the reason is kept in its history.",
    ),
    ConfirmReopen => ("确定重新打开？", "Reopen it?"),
    EditDeal => ("编辑商机", "Edit the deal"),
    NavApprovals => ("待我审批", "Approvals"),
    ApprovalsTitle => ("待我审批", "Approvals waiting for you"),
    ApprovalsIntro => ("各商机中等待您决定的审批，最早申请的在前。", "The approvals across deals that wait for your decision, oldest request first."),
    ApprovalsEmpty => ("没有等待您审批的事项。", "Nothing waits for your approval."),
    RequestedBy => ("申请人", "Requested by"),
    Decided => ("已处理", "Decided"),
    SaveDeal => ("保存商机", "Save the deal"),
    NewOwner => ("新负责人", "New owner"),
    ChangeOwner => ("更换负责人", "Change the owner"),
    Partner => ("合作伙伴", "Partner"),
    ProtectedUntil => ("报备保护至 {date}", "Protected for the partner until {date}"),
    ProtectionEnded => ("报备保护期已结束", "The partner's protection has ended"),
    Pipeline => ("销售流程", "Pipeline"),
    BoardEmpty => ("这个流程里还没有进行中的商机。", "No open deals in this pipeline yet."),
    DaysInStage => ("在当前阶段的天数", "Days in this stage"),
    DaysShort => ("{n} 天", "{n} d"),
    Blocked => ("受阻", "Blocked"),
    MoveOn => ("推进 →", "Move on →"),
    CloseDeal => ("赢单或输单…", "Win or lose…"),
    CloseDialog => ("关闭", "Close"),
    LostInStage => ("输单时所在阶段", "Lost in stage"),
    RejectNeedsComment => ("驳回需填写审批意见", "A reject needs a comment"),
    CardChanged => (
        "其他人刚刚修改了这个商机，已显示最新状态。",
        "Someone else just changed this deal; it now shows the latest state.",
    ),
    SearchDeals => ("搜索商机名称或客户", "Search deal or customer"),
    AllPipelines => ("全部流程", "All pipelines"),
    AllGrades => ("全部等级", "All grades"),
    AllStages => ("全部阶段", "All stages"),
    AllStatuses => ("全部状态", "All statuses"),
    Search => ("搜索", "Search"),
    NoDeals => ("没有符合条件的商机。", "No deals match."),
    DealName => ("商机", "Deal"),
    Customer => ("客户", "Customer"),
    Stage => ("阶段", "Stage"),
    Amount => ("金额", "Amount"),
    LoadMore => ("加载更多", "Load more"),
    LeadNew => ("新线索", "New"),
    LeadWorking => ("跟进中", "Working"),
    LeadConverted => ("已转化", "Converted"),
    LeadDisqualified => ("已作废", "Disqualified"),
    NoLeads => ("没有符合条件的线索。", "No leads match."),
    LeadTitle => ("线索", "Lead"),
    Contact => ("联系人", "Contact"),
    SearchLeads => ("搜索线索或客户", "Search lead or customer"),
    NewLead => ("新建线索", "New lead"),
    Phone => ("电话", "Phone"),
    Source => ("来源", "Source"),
    OpenOpportunity => ("查看转化后的商机", "Open the opportunity"),
    ConflictNoticeLead => (
        "其他人刚刚修改了这条线索，已显示最新内容。请检查后重试。",
        "Someone else just changed this lead. It now shows the latest state; check and try again.",
    ),
    ConvertTitle => ("转化为商机", "Convert to an opportunity"),
    LeadBy => ("主导方", "Led by"),
    LeadByUs => ("我方主导", "Us"),
    LeadByPartner => ("合作伙伴主导", "A partner"),
    ExpectedClose => ("预计签约日期", "Expected close"),
    EnterAmount => ("填写金额后显示等级和流程", "Enter the amount to see the grade and track"),
    Convert => ("转化", "Convert"),
    ConfirmDisqualify => ("确定作废这条线索？", "Disqualify this lead?"),
    Disqualify => ("作废线索", "Disqualify"),
    // Grading thresholds (#10)
    NavGrading => ("分级门槛", "Grading"),
    // The stage framework and the audit (#10)
    NavFramework => ("阶段框架", "Stage framework"),
    NavAudit => ("变更记录", "Audit"),
    // Partner registrations (#11)
    NavRegistrations => ("报备审核", "Registrations"),
    NavReports => ("报表", "Reports"),
    FromReport => ("来自报表的筛选", "Filtered from a report"),
    ForecastCategory => ("预测类别", "Forecast"),
    CommitNeeds => ("承诺需先满足：", "Commit needs:"),
    CommitCountsBestCase => ("按最佳情况计，直至满足：", "Best case until met:"),
    ClearReportFilter => ("清除筛选", "Clear filter"),
    SalesOnly => ("仅销售与管理员可看报表。", "Reports are for sales and admins."),
    ReviewersOnly => (
        "只有渠道经理和管理员可以审核伙伴报备。",
        "Only channel managers and admins review partner registrations.",
    ),
}

/// The texts only the admin's configuration pages show (`/admin/*` but
/// users and grading): not in the wasm, which every visit downloads, but in
/// `app/texts/admin.json`, which those pages fetch once from the build's
/// content-hashed folder (see `admin_texts`). A host test keeps the file
/// equal to this table (`DEALGATE_BLESS=1 cargo test -p dealgate-app`
/// rewrites it), so each text is still written once, here.
macro_rules! admin_messages {
    ($($name:ident => ($zh:expr, $en:expr $(,)?)),* $(,)?) => {
        /// The keys of the admin table: an index into the loaded file.
        #[derive(Clone, Copy, PartialEq, Eq)]
        pub enum AdminMsg {
            $($name,)*
        }

        impl AdminMsg {
            pub const COUNT: usize = [$(AdminMsg::$name,)*].len();
        }

        /// `(zh-CN, en)` of every admin text, in key order (host builds:
        /// the file is written from it).
        #[cfg(not(target_arch = "wasm32"))]
        pub fn admin_table() -> Vec<(&'static str, &'static str)> {
            vec![$(($zh, $en),)*]
        }
    };
}

admin_messages! {
    // Users and thresholds (#4, #10)
    UsersTitle => ("用户管理", "Users"),
    NewUser => ("新建用户", "New user"),
    SaveRoles => ("保存角色", "Save roles"),
    Active => ("启用", "Active"),
    Deactivated => ("已停用", "Deactivated"),
    Deactivate => ("停用", "Deactivate"),
    Activate => ("启用", "Activate"),
    ConfirmDeactivate => (
        "确定停用该用户？其所有会话将立即结束。",
        "Deactivate this user? All of their sessions end at once.",
    ),
    ConfirmActivate => ("确定重新启用该用户？", "Activate this user again?"),
    EditUser => ("修改姓名或密码", "Rename or set a password"),
    SaveName => ("保存姓名", "Save the name"),
    NewPassword => ("新密码（至少 10 位）", "New password (10 characters or more)"),
    SetPassword => ("设置新密码", "Set the password"),
    ConfirmSetPassword => (
        "确定为该用户设置新密码？其所有会话将立即结束，需要用新密码重新登录。",
        "Set a new password for this user? All of their sessions end at once; they sign in again with the new one.",
    ),
    PasswordSet => ("新密码已设置，该用户的会话已结束。", "The new password is set; their sessions have ended."),
    GradingTitle => ("分级门槛", "Grading thresholds"),
    AMinLabel => ("A 类：金额不低于", "Grade A: amount at least"),
    BMinLabel => ("B 类（大单线）：金额不低于", "Grade B, the big-deal line: at least"),
    CMinLabel => ("C 类：金额不低于，低于此为 D 类", "Grade C: at least; below it, D"),
    PartnerIsE => ("合作伙伴主导的商机一律为 E 类，与金额无关。", "Partner-led deals are grade E whatever the amount."),
    NoChanges => ("没有商机会改变等级。", "No open deal changes grade."),
    BlockedAfter => ("其中 {n} 个将因此受阻", "{n} of them would then be blocked"),
    Changes => ("将改变等级的商机：{n} 个", "Deals that change grade: {n}"),
    SaveThresholds => ("保存门槛", "Save thresholds"),
    ConfirmRegrade => ("将重新分级 {n} 个进行中的商机，确定吗？", "Regrade {n} open deals?"),
    ConfirmSave => ("确定保存", "Confirm"),
    Cancel => ("取消", "Cancel"),
    GradingConflict => (
        "其他人刚刚修改了门槛，已载入当前生效的版本；您输入的值仍保留，请查看影响后再保存。",
        "Someone else just changed the thresholds. The version in force is loaded; your values are kept: check the impact and save again.",
    ),
    VersionHistory => ("版本历史", "Version history"),
    InitialSetting => ("初始设置", "Initial setting"),
    Name => ("姓名", "Name"),
    Roles => ("角色", "Roles"),
    Version => ("版本", "Version"),
    Impact => ("对进行中商机的影响", "Impact on open deals"),
    FixToPreview => ("门槛有误，修正后显示影响。", "Fix the thresholds to see the impact."),
    SavedVersion => ("已保存为版本 {v}", "Saved as version {v}"),
    PipelinesTitle => ("销售流程与阶段框架", "Pipelines and the stage framework"),
    Stages => ("阶段", "Stages"),
    Key => ("键", "Key"),
    KeyHint => ("小写字母、数字、下划线", "a–z, 0–9 and _"),
    NameZh => ("中文名称", "Name (zh-CN)"),
    NameEn => ("英文名称", "Name (en)"),
    TextZh => ("中文", "zh-CN"),
    TextEn => ("英文", "en"),
    NewPipeline => ("新建流程", "New pipeline"),
    CopyFrom => ("复制自", "Copy from"),
    EmptyFrame => ("空白框架（两个阶段）", "Empty frame (two stages)"),
    Edit => ("编辑", "Edit"),
    Walkthrough => ("各等级的推进路径", "How each grade walks it"),
    TeamRolesTitle => ("项目团队角色", "Deal-team roles"),
    AddRole => ("添加角色", "Add a role"),
    Remove => ("删除", "Remove"),
    Save => ("保存", "Save"),
    Saved => ("已保存", "Saved"),
    RegistrationTitle => ("伙伴报备", "Partner registrations"),
    ProtectionDays => ("报备保护期（天）", "Protection after approval (days)"),
    EditPipeline => ("编辑流程", "Edit pipeline"),
    AddStage => ("添加阶段", "Add a stage"),
    MoveUp => ("上移", "Move up"),
    MoveDown => ("下移", "Move down"),
    ReorderHint => (
        "拖动阶段，或在阶段上按 Alt+↑/↓ 调整顺序。",
        "Drag a stage, or press Alt+↑/↓ on it, to reorder.",
    ),
    ConfirmRemoveStage => (
        "删除该阶段及其全部要求？保存前可以放弃草稿。",
        "Remove this stage and all its requirements? You can still discard the draft before saving.",
    ),
    StageName => ("阶段名称", "Stage name"),
    Probability => ("赢单概率（%）", "Probability (%)"),
    MaxDays => ("最长天数（0 = 不限）", "Max days (0 = no limit)"),
    Skippable => ("快速通道可跳过", "Fast track may skip it"),
    RowFields => ("必填内容", "Required fields"),
    RowTasks => ("必做之事", "Required tasks"),
    RowProcesses => ("相关流程", "Processes (approvals)"),
    RowRoles => ("涉及人员", "Roles involved"),
    AddItem => ("添加", "Add"),
    Label => ("名称", "Label"),
    Description => ("说明", "Description"),
    Kind => ("类型", "Kind"),
    Options => ("选项（每行一个）", "Options (one per line)"),
    Grades => ("适用等级", "Grades"),
    FirstStageNote => (
        "第一阶段在线索上完成，只能包含必填内容和必做之事。",
        "Stage 1 lives on the lead: it holds only fields and tasks.",
    ),
    KindText => ("文本", "Text"),
    KindLongText => ("长文本", "Long text"),
    KindMoney => ("金额", "Money"),
    KindDate => ("日期", "Date"),
    KindSelect => ("选择", "Select"),
    KindBool => ("是/否", "Yes/no"),
    KindUser => ("用户", "User"),
    KindUrl => ("链接", "Link"),
    Problems => ("草稿中有 {n} 处问题，改正后才能保存：", "To fix before saving ({n}):"),
    Discard => ("放弃草稿", "Discard draft"),
    ConfirmDiscard => ("放弃所有未保存的修改？", "Discard every unsaved change?"),
    SavePipeline => ("保存流程", "Save pipeline"),
    NoOpenDeals => ("该流程中没有进行中的商机。", "No open deals in this pipeline."),
    DealsChecked => ("已检查 {n} 个进行中的商机", "{n} open deals checked"),
    Gains => ("新增阻碍", "Gains"),
    Lifts => ("解除阻碍", "Lifted"),
    StageGone => ("所在阶段被删除", "its stage is removed"),
    PositionMoves => ("阶段位置 {from} → {to}", "stage position {from} → {to}"),
    PipelineConflict => (
        "其他管理员已保存了新版本（v{v}）；您的草稿仍保留。对方的修改：",
        "Another admin saved a newer version (v{v}); your draft is kept. What they changed:",
    ),
    SaveOverHint => (
        "再次保存将以您的草稿覆盖该版本；或放弃草稿以载入最新版本。",
        "Saving again replaces that version with your draft; or discard the draft to load the latest.",
    ),
    ChAdded => ("新增", "added"),
    ChRemoved => ("删除", "removed"),
    ChEdited => ("修改", "edited"),
    ChMoved => ("移动", "moved"),
    InTheWay => ("以下记录妨碍了此修改：", "These records are in the way:"),
    PassRequired => ("必经", "Required"),
    PassMaySkip => ("可跳过", "May skip"),
    PassRegistration => ("以报备代替", "By registration"),
    Nothing => ("—", "—"),
    AuditTitle => ("配置与账号变更记录", "Configuration and account changes"),
    NoAudit => ("尚无变更。", "No changes yet."),
    When => ("时间", "When"),
    Who => ("操作人", "Who"),
    What => ("对象", "What"),
    SubjectGrading => ("分级门槛", "Grading thresholds"),
    SubjectTeamRoles => ("项目团队角色", "Deal-team roles"),
    SubjectRegistration => ("报备设置", "Registration settings"),
    SubjectUser => ("用户", "User"),
    Summary => ("内容", "Summary"),
    NothingToPreview => ("修改草稿后，这里显示它对进行中商机的影响。", "Edit the draft to see its impact on open deals here."),
    NoImpact => ("没有商机会新增或解除阻碍。", "No open deal gains or loses a blocker."),
    DealsAffected => ("受影响的商机：{n} 个", "Deals affected: {n}"),
    SettingsConflict => (
        "其他管理员刚刚修改了这项设置；您的修改仍保留，再次保存将覆盖对方的修改。",
        "Another admin just changed this setting. Your edits are kept; saving again replaces their change.",
    ),
    // The channel managers' review queue (#11)
    QueueIntro => (
        "伙伴提交的商机报备，最早的在前。批准即为该伙伴创建 E 类商机，并在保护期内归其主导。",
        "Deals partners registered, oldest first. Approving makes an E-class deal the partner leads for the protection period.",
    ),
    StSubmitted => ("待审核", "Waiting for review"),
    StApproved => ("已批准", "Approved"),
    StRejected => ("已驳回", "Rejected"),
    StExpired => ("保护期已过", "Protection ended"),
    StWithdrawn => ("伙伴已撤回", "Withdrawn by the partner"),
    StAll => ("全部", "All"),
    QueueEmpty => ("没有待审核的报备。", "No registrations are waiting for review."),
    QueueEmptyOther => ("此状态下没有报备。", "No registrations in this status."),
    Overdue => ("超过两个工作日未审核", "Waiting over two working days"),
    SubmittedAt => ("提交于", "Submitted"),
    PartnerCol => ("伙伴", "Partner"),
    CustomerCol => ("客户", "Customer"),
    AmountCol => ("预计金额", "Estimated amount"),
    CloseCol => ("预计签约", "Expected close"),
    ConflictsFound => ("可能冲突：", "Possible conflicts:"),
    NoConflicts => ("未发现与我方商机或其他报备冲突。", "No conflict with our deals or other registrations."),
    ConflictDeal => ("我方商机", "Our deal"),
    ConflictRegistration => ("其他报备", "Another registration"),
    OwnerPick => ("负责销售", "Owning rep"),
    PipelinePick => ("销售流程", "Pipeline"),
    ApproveAction => ("批准并创建商机", "Approve and create the deal"),
    RejectReason => ("驳回原因（伙伴可见）", "Reason (the partner sees it)"),
    RejectAction => ("驳回", "Reject"),
    ApprovedNotice => ("已批准，E 类商机已创建。", "Approved: the E-class deal is created."),
    OpenDeal => ("查看商机", "Open the deal"),
    RejectedBecause => ("驳回原因：", "Rejected because:"),
    ProtectionTill => ("保护期至", "Protected until"),
    ChooseRep => ("请选择负责的销售", "Choose the rep who owns it"),
    // Reports (#13)
    ReportsTitle => ("销售报表", "Reports"),
    ReportsIntro => ("按当前筛选统计的管道、预测、阶段时长、转化与闸门欠账。点击任一柱形或格子查看对应商机。", "The pipeline, forecast, stage aging, conversion and gate debt under the filter. Click any bar or cell for exactly those deals."),
    PeriodFrom => ("统计期自", "Period from"),
    PeriodTo => ("至", "to"),
    DownloadCsv => ("下载 CSV", "Download CSV"),
    OpenDeals => ("进行中商机", "Open deals"),
    WeightedPipeline => ("加权管道", "Weighted pipeline"),
    WonInPeriod => ("期内赢单", "Won in the period"),
    LostInPeriod => ("期内输单", "Lost in the period"),
    WinRate => ("赢单率", "Win rate"),
    Funnel => ("销售漏斗", "Funnel"),
    ForecastByMonth => ("按预计成交月份的预测", "Forecast by expected close month"),
    OverdueMonth => ("已逾期", "Overdue"),
    Month => ("月份", "Month"),
    CatPipeline => ("管道", "Pipeline"),
    CatBestCase => ("最佳情况", "Best case"),
    CatCommit => ("承诺", "Commit"),
    CatClosed => ("已成交", "Closed"),
    ByOwner => ("按负责人：承诺与加权", "By owner: commit vs weighted"),
    StageAging => ("阶段停留时长", "Stage aging"),
    MedianDays => ("中位天数", "Median days"),
    DayLimit => ("时限（天）", "Limit (days)"),
    Stalled => ("超时", "Stalled"),
    Conversion => ("阶段转化", "Stage conversion"),
    Entered => ("进入", "Entered"),
    WentOn => ("推进", "Went on"),
    Rate => ("比例", "Rate"),
    LeadConversion => ("线索转商机", "Lead → opportunity"),
    WinRateByGrade => ("按等级的赢单率与周期", "Win rate and cycle by grade"),
    WinRateByTrack => ("按通道的赢单率与周期", "Win rate and cycle by track"),
    WonCount => ("赢单", "Won"),
    LostCount => ("输单", "Lost"),
    AvgCycle => ("平均周期（天）", "Average cycle (days)"),
    GateDebt => ("闸门欠账", "Gate debt"),
    GateDebtIntro => ("进行中商机因未满足的下一步要求而受阻：按阶段 × 类型计数。", "Open deals blocked on their next move, by stage and kind of unmet requirement."),
    Blocked => ("受阻", "Blocked"),
    KindField => ("字段", "Field"),
    KindTask => ("任务", "Task"),
    KindApproval => ("审批", "Approval"),
    KindRole => ("角色", "Role"),
    TopUnmet => ("最常见的未满足要求", "Most frequent unmet requirements"),
    LostReasons => ("输单原因", "Lost reasons"),
    Competitors => ("竞争对手", "Competitors"),
    NothingYet => ("暂无数据。", "Nothing in this filter yet."),
    Deals => ("商机数", "Deals"),
    NoRate => ("—", "—"),
    BadPeriod => ("统计期的开始不能晚于结束。", "The period must start before it ends."),
}

pub fn tr(lang: Lang, msg: Msg) -> &'static str {
    let (zh, en) = msg.pair();
    match lang {
        Lang::ZhCn => zh,
        Lang::En => en,
    }
}

/// The current language, shared through context.
#[derive(Debug, Clone, Copy)]
pub struct I18n(RwSignal<Lang>);

impl I18n {
    /// The text for `msg` in the current language. Not reactive on purpose:
    /// the app rebuilds its whole view when the language changes (see
    /// `App`), so each text is a plain string, not a closure per text node —
    /// measured with `make size`, that keeps tens of KB out of the wasm.
    pub fn t(self, msg: Msg) -> &'static str {
        tr(self.0.get_untracked(), msg)
    }

    /// The current language, read once (for config texts, like `t`).
    pub fn current(self) -> Lang {
        self.0.get_untracked()
    }

    /// The current language (reactive: views that must follow it call this).
    pub fn lang(self) -> Lang {
        self.0.get()
    }

    /// Switches language and remembers the choice.
    pub fn set(self, lang: Lang) {
        self.0.set(lang);
        store(lang);
        set_document_lang(lang);
    }
}

/// Where the chosen language is kept across reloads.
const STORAGE_KEY: &str = "dealgate.lang";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn store(lang: Lang) {
    if let Some(s) = storage() {
        let _ = s.set_item(STORAGE_KEY, lang.tag());
    }
}

fn stored() -> Option<Lang> {
    storage()?
        .get_item(STORAGE_KEY)
        .ok()?
        .as_deref()
        .and_then(Lang::from_tag)
}

fn browser_preference() -> Lang {
    let Some(window) = web_sys::window() else {
        return Lang::default();
    };
    let tags: Vec<String> = window
        .navigator()
        .languages()
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    Lang::negotiate(tags.iter().map(String::as_str))
}

fn set_document_lang(lang: Lang) {
    crate::api::set_language(lang.tag());
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("lang", lang.tag());
    }
}

/// Chooses the language (stored choice, else the browser's) and provides it.
pub fn provide_i18n() -> I18n {
    let lang = stored().unwrap_or_else(browser_preference);
    set_document_lang(lang);
    let i18n = I18n(RwSignal::new(lang));
    provide_context(i18n);
    i18n
}

pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_text_in_both_languages() {
        for msg in Msg::ALL {
            for lang in Lang::ALL {
                assert!(
                    !tr(lang, *msg).trim().is_empty(),
                    "{msg:?} is empty in {lang:?}"
                );
            }
        }
    }

    #[test]
    fn the_admin_text_file_is_what_the_table_says() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/texts/admin.json");
        let table = admin_table();
        assert_eq!(table.len(), AdminMsg::COUNT);
        assert!(
            table
                .iter()
                .all(|(zh, en)| !zh.trim().is_empty() && !en.trim().is_empty())
        );
        let generated = serde_json::to_string(&table).unwrap() + "\n";
        if std::env::var_os("DEALGATE_BLESS").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == generated,
            "app/texts/admin.json is stale: DEALGATE_BLESS=1 cargo test -p dealgate-app"
        );
    }

    #[test]
    fn chinese_and_english_texts_differ_where_they_should() {
        assert_eq!(tr(Lang::ZhCn, Msg::NavBoard), "看板");
        assert_eq!(tr(Lang::En, Msg::NavBoard), "Board");
    }
}
