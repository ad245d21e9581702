package models

import "time"

// Frozen copies of the models as migrations 1–23 left them (the "V1"
// schema). Steps 1–20 run AutoMigrate on these, never on the live structs,
// so what a step does cannot change when a model does: a database upgraded
// step by step and a fresh one reach the same schema.
//
// Never edit these types. A model change needs a new step in migrate.go
// that works on new frozen types (memberV2, …) or plain DDL;
// TestLiveModelsMatchMigrations fails until it exists.
//
// Comments are left out: the live structs in the entity files say what each
// column means. Tags, field names, Go types and table names are exactly
// theirs, since those decide column names and types and index names.

type memberV1 struct {
	ID                uint64 `gorm:"primaryKey"`
	OpenID            string `gorm:"size:64;uniqueIndex;not null"`
	UnionID           string `gorm:"size:64;index"`
	Subscribed        bool   `gorm:"not null;default:false;index"`
	FirstSubscribedAt *time.Time
	LastSubscribedAt  *time.Time
	UnsubscribedAt    *time.Time
	SubscribeScene    string     `gorm:"size:64;index"`
	LastInteractionAt *time.Time `gorm:"index"`
	InConversation    bool       `gorm:"not null;default:false"`
	UnansweredRun     int        `gorm:"not null;default:0"`
	ReferralCode      *string    `gorm:"size:16;uniqueIndex"`
	ReferrerID        *uint64    `gorm:"index"`
	ReferredAt        *time.Time
	Level             string `gorm:"size:16;not null;default:follower;index"`
	Points            int64  `gorm:"not null;default:0"`
	Follows           int    `gorm:"not null;default:0"`
	Stage             string `gorm:"size:16;not null;default:prospect;index"`
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

func (memberV1) TableName() string { return "members" }

type messageV1 struct {
	ID         uint64 `gorm:"primaryKey"`
	MemberID   uint64
	OpenID     string  `gorm:"size:64;not null;index:idx_messages_openid_created,priority:1"`
	Direction  string  `gorm:"size:8;not null"`
	DedupeKey  *string `gorm:"size:100;uniqueIndex"`
	MsgType    string  `gorm:"size:32"`
	Event      string  `gorm:"size:64;index:idx_messages_event_created,priority:1"`
	EventKey   string  `gorm:"size:191"`
	Content    string  `gorm:"type:text"`
	Raw        string  `gorm:"type:mediumtext"`
	State      string  `gorm:"size:16"`
	Replies    string  `gorm:"type:text"`
	Channel    string  `gorm:"size:16"`
	RuleID     *uint64 `gorm:"index:idx_messages_rule_created,priority:1"`
	Unanswered bool    `gorm:"not null;default:false;index"`
	ErrCode    int
	Error      string    `gorm:"size:255"`
	CreatedAt  time.Time `gorm:"index:idx_messages_openid_created,priority:2;index:idx_messages_rule_created,priority:2;index:idx_messages_event_created,priority:2"`
	UpdatedAt  time.Time
}

func (messageV1) TableName() string { return "messages" }

type staffV1 struct {
	ID           uint64 `gorm:"primaryKey"`
	Username     string `gorm:"size:64;uniqueIndex;not null"`
	DisplayName  string `gorm:"size:64"`
	PasswordHash string `gorm:"size:100;not null"`
	Role         string `gorm:"size:16;not null"`
	Disabled     bool   `gorm:"not null;default:false"`
	Lang         string `gorm:"size:8"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (staffV1) TableName() string { return "staffs" }

type staffSessionV1 struct {
	ID        string    `gorm:"primaryKey;size:64"`
	StaffID   uint64    `gorm:"index;not null"`
	CSRFToken string    `gorm:"size:64;not null"`
	ExpiresAt time.Time `gorm:"index"`
	CreatedAt time.Time
}

func (staffSessionV1) TableName() string { return "staff_sessions" }

type apiTokenV1 struct {
	ID         uint64 `gorm:"primaryKey"`
	StaffID    uint64 `gorm:"index;not null"`
	Name       string `gorm:"size:64;not null"`
	TokenHash  string `gorm:"size:64;uniqueIndex;not null"`
	LastUsedAt *time.Time
	CreatedAt  time.Time
}

func (apiTokenV1) TableName() string { return "api_tokens" }

type auditEntryV1 struct {
	ID        uint64    `gorm:"primaryKey"`
	StaffID   uint64    `gorm:"index"`
	Username  string    `gorm:"size:64"`
	Action    string    `gorm:"size:64;index"`
	Target    string    `gorm:"size:191"`
	Detail    string    `gorm:"type:text"`
	IP        string    `gorm:"size:64"`
	CreatedAt time.Time `gorm:"index"`
}

func (auditEntryV1) TableName() string { return "audit_log" }

type ruleV1 struct {
	ID        uint64 `gorm:"primaryKey"`
	Name      string `gorm:"size:100;not null"`
	Kind      string `gorm:"size:16;not null;index"`
	Trigger   string `gorm:"size:128"`
	Priority  int    `gorm:"not null;default:0"`
	Disabled  bool   `gorm:"not null;default:false"`
	Spec      string `gorm:"type:mediumtext;not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (ruleV1) TableName() string { return "rules" }

type settingV1 struct {
	Key       string `gorm:"primaryKey;size:64;column:name"`
	Value     string `gorm:"type:text"`
	UpdatedAt time.Time
}

func (settingV1) TableName() string { return "settings" }

type tagV1 struct {
	ID        uint64 `gorm:"primaryKey"`
	Name      string `gorm:"size:64;uniqueIndex;not null"`
	WeChatID  *int32 `gorm:"index"`
	CreatedAt time.Time
}

func (tagV1) TableName() string { return "tags" }

type memberTagV1 struct {
	MemberID  uint64 `gorm:"primaryKey;autoIncrement:false"`
	TagID     uint64 `gorm:"primaryKey;autoIncrement:false;index"`
	Synced    bool   `gorm:"not null;default:false"`
	CreatedAt time.Time
}

func (memberTagV1) TableName() string { return "member_tags" }

type conversationV1 struct {
	ID                  uint64    `gorm:"primaryKey"`
	MemberID            uint64    `gorm:"index:idx_conversations_member_state,priority:1;not null"`
	OpenID              string    `gorm:"size:64;not null;index"`
	State               string    `gorm:"size:16;not null;index;index:idx_conversations_member_state,priority:2"`
	AgentID             *uint64   `gorm:"index"`
	Reason              string    `gorm:"size:16"`
	QueuedAt            time.Time `gorm:"index"`
	AssignedAt          *time.Time
	FirstResponseAt     *time.Time
	ResolvedAt          *time.Time `gorm:"index"`
	ResolvedBy          string     `gorm:"size:16"`
	LastFanAt           *time.Time
	LastAgentAt         *time.Time
	ApologySent         bool
	Satisfaction        *int
	SatisfactionAskedAt *time.Time
	CreatedAt           time.Time
	UpdatedAt           time.Time `gorm:"index"`
}

func (conversationV1) TableName() string { return "conversations" }

type conversationNoteV1 struct {
	ID             uint64 `gorm:"primaryKey"`
	ConversationID uint64 `gorm:"index;not null"`
	StaffID        uint64 `gorm:"not null"`
	Username       string `gorm:"size:64"`
	Text           string `gorm:"type:text;not null"`
	CreatedAt      time.Time
}

func (conversationNoteV1) TableName() string { return "conversation_notes" }

type agentStatusV1 struct {
	StaffID        uint64 `gorm:"primaryKey;autoIncrement:false"`
	Online         bool   `gorm:"not null;default:false"`
	Capacity       int    `gorm:"not null;default:5"`
	LastSeenAt     time.Time
	LastAssignedAt *time.Time
}

func (agentStatusV1) TableName() string { return "agent_statuses" }

type pointsEntryV1 struct {
	ID        uint64     `gorm:"primaryKey"`
	MemberID  uint64     `gorm:"not null;index:idx_points_member_created,priority:1"`
	Delta     int64      `gorm:"not null"`
	Balance   int64      `gorm:"not null"`
	Source    string     `gorm:"size:16;not null;index"`
	Reason    string     `gorm:"size:191"`
	IdemKey   string     `gorm:"size:150;not null;uniqueIndex"`
	Remaining int64      `gorm:"not null;default:0"`
	ExpiresAt *time.Time `gorm:"index"`
	StaffID   *uint64
	CreatedAt time.Time `gorm:"index:idx_points_member_created,priority:2;index"`
}

func (pointsEntryV1) TableName() string { return "points_entries" }

type channelV1 struct {
	ID            uint64 `gorm:"primaryKey"`
	Name          string `gorm:"size:100;not null"`
	Scene         string `gorm:"size:64;uniqueIndex;not null"`
	Permanent     bool
	ExpireSeconds int64
	Ticket        string `gorm:"size:255"`
	URL           string `gorm:"size:255"`
	ExpiresAt     *time.Time
	WelcomePoints int64
	WelcomeTags   string `gorm:"type:text"`
	WelcomeGiftID *uint64
	CreatedAt     time.Time
}

func (channelV1) TableName() string { return "channels" }

type channelEventV1 struct {
	ID        uint64    `gorm:"primaryKey"`
	ChannelID uint64    `gorm:"index:idx_chev_channel,priority:1;not null"`
	MemberID  uint64    `gorm:"index;not null"`
	Kind      string    `gorm:"size:16;not null"`
	CreatedAt time.Time `gorm:"index:idx_chev_channel,priority:2"`
}

func (channelEventV1) TableName() string { return "channel_events" }

type referralRewardV1 struct {
	ID         uint64    `gorm:"primaryKey"`
	ReferrerID uint64    `gorm:"index;not null"`
	RefereeID  uint64    `gorm:"uniqueIndex;not null"`
	Points     int64     `gorm:"not null"`
	State      string    `gorm:"size:16;not null;index"`
	DueAt      time.Time `gorm:"index"`
	SettledAt  *time.Time
	CreatedAt  time.Time
}

func (referralRewardV1) TableName() string { return "referral_rewards" }

type signInV1 struct {
	ID        uint64 `gorm:"primaryKey"`
	MemberID  uint64 `gorm:"uniqueIndex:idx_signin_member_day,priority:1;not null"`
	Day       string `gorm:"size:10;uniqueIndex:idx_signin_member_day,priority:2;not null"`
	Streak    int    `gorm:"not null"`
	Points    int64  `gorm:"not null"`
	CreatedAt time.Time
}

func (signInV1) TableName() string { return "sign_ins" }

type memberChangeV1 struct {
	ID        uint64 `gorm:"primaryKey"`
	MemberID  uint64 `gorm:"index;not null"`
	Field     string `gorm:"size:8;not null"`
	From      string `gorm:"size:16"`
	To        string `gorm:"size:16;not null"`
	Reason    string `gorm:"size:191"`
	StaffID   *uint64
	CreatedAt time.Time `gorm:"index"`
}

func (memberChangeV1) TableName() string { return "member_changes" }

type segmentV1 struct {
	ID        uint64 `gorm:"primaryKey"`
	Name      string `gorm:"size:100;uniqueIndex;not null"`
	Filter    string `gorm:"type:text;not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (segmentV1) TableName() string { return "segments" }

type memberProfileV1 struct {
	MemberID  uint64 `gorm:"primaryKey;autoIncrement:false"`
	Name      string `gorm:"size:64"`
	Birthday  string `gorm:"size:10"`
	Region    string `gorm:"size:64;index"`
	Phone     string `gorm:"size:32"`
	Interests string `gorm:"size:255"`
	ConsentAt time.Time
	UpdatedAt time.Time
}

func (memberProfileV1) TableName() string { return "member_profiles" }

type giftV1 struct {
	ID        uint64 `gorm:"primaryKey"`
	Name      string `gorm:"size:100;not null"`
	Kind      string `gorm:"size:16;not null"`
	Cost      int64  `gorm:"not null"`
	Stock     int64  `gorm:"not null"`
	ValidDays int    `gorm:"not null"`
	Active    bool   `gorm:"not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (giftV1) TableName() string { return "gifts" }

type redemptionV1 struct {
	ID         uint64 `gorm:"primaryKey"`
	MemberID   uint64 `gorm:"index;not null"`
	GiftID     uint64 `gorm:"index;not null"`
	GiftName   string `gorm:"size:100"`
	Points     int64  `gorm:"not null"`
	Code       string `gorm:"size:32;uniqueIndex;not null"`
	ValidUntil *time.Time
	UsedAt     *time.Time
	UsedBy     *uint64
	IdemKey    string `gorm:"size:150;uniqueIndex;not null"`
	CreatedAt  time.Time
}

func (redemptionV1) TableName() string { return "redemptions" }

type topicV1 struct {
	ID        uint64 `gorm:"primaryKey"`
	Keyword   string `gorm:"size:32;index;not null"`
	Title     string `gorm:"size:191;not null"`
	Prompt    string `gorm:"type:text"`
	StartsAt  time.Time
	EndsAt    time.Time
	Points    int64
	CreatedAt time.Time
}

func (topicV1) TableName() string { return "topics" }

type topicEntryV1 struct {
	ID        uint64 `gorm:"primaryKey"`
	TopicID   uint64 `gorm:"index;not null"`
	MemberID  uint64 `gorm:"index;not null"`
	OpenID    string `gorm:"size:64"`
	Text      string `gorm:"type:text;not null"`
	Featured  bool
	Hidden    bool
	CreatedAt time.Time
}

func (topicEntryV1) TableName() string { return "topic_entries" }

type drawV1 struct {
	ID        uint64 `gorm:"primaryKey"`
	Name      string `gorm:"size:100;not null"`
	Filter    string `gorm:"type:text;not null"`
	Entrants  string `gorm:"type:mediumtext;not null"`
	Seed      string `gorm:"size:64;not null"`
	Winners   string `gorm:"type:text;not null"`
	StaffID   uint64
	CreatedAt time.Time
}

func (drawV1) TableName() string { return "draws" }

type cannedReplyV1 struct {
	ID        uint64 `gorm:"primaryKey"`
	OwnerID   uint64 `gorm:"not null;default:0;uniqueIndex:idx_canned_owner_code,priority:1"`
	Code      string `gorm:"size:32;not null;uniqueIndex:idx_canned_owner_code,priority:2"`
	Title     string `gorm:"size:64"`
	Text      string `gorm:"type:text;not null"`
	CreatedBy uint64 `gorm:"not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (cannedReplyV1) TableName() string { return "canned_replies" }

type pushV1 struct {
	ID           uint64 `gorm:"primaryKey"`
	Kind         string `gorm:"size:16;not null;index"`
	Name         string `gorm:"size:191;not null"`
	Content      string `gorm:"type:text;not null"`
	TemplateID   string `gorm:"size:64"`
	TemplateData string `gorm:"type:text"`
	State        string `gorm:"size:16;not null;index"`
	ScheduledAt  *time.Time
	StaffID      uint64
	Planned      int64 `gorm:"not null;default:0"`
	Unknown      int64 `gorm:"not null;default:0"`
	Duplicates   int64 `gorm:"not null;default:0"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (pushV1) TableName() string { return "pushes" }

type recipientV1 struct {
	ID           uint64     `gorm:"primaryKey"`
	PushID       uint64     `gorm:"not null;uniqueIndex:idx_rcpt_member_push,priority:2;index:idx_rcpt_push_due,priority:1"`
	MemberID     uint64     `gorm:"not null;uniqueIndex:idx_rcpt_member_push,priority:1"`
	OpenID       string     `gorm:"size:64;not null"`
	State        string     `gorm:"size:16;not null;index:idx_rcpt_push_due,priority:2;index:idx_rcpt_lease,priority:1"`
	NextAt       time.Time  `gorm:"index:idx_rcpt_push_due,priority:3"`
	Channel      string     `gorm:"size:16"`
	Attempts     int        `gorm:"not null;default:0"`
	ErrCode      int        `gorm:"not null;default:0"`
	Reason       string     `gorm:"size:191"`
	ClaimedBy    string     `gorm:"size:64"`
	ClaimedUntil *time.Time `gorm:"index:idx_rcpt_lease,priority:2"`
	SentAt       *time.Time
}

func (recipientV1) TableName() string { return "recipients" }

type broadcastV1 struct {
	ID           uint64 `gorm:"primaryKey"`
	Name         string `gorm:"size:191;not null"`
	Kind         string `gorm:"size:16;not null"`
	Content      string `gorm:"type:text;not null"`
	TemplateID   string `gorm:"size:64"`
	TemplateData string `gorm:"type:text"`
	Audience     string `gorm:"size:16;not null"`
	AudienceRef  string `gorm:"size:191"`
	OpenIDs      string `gorm:"type:mediumtext"`
	Channel      string `gorm:"size:16;not null"`
	SendAt       *time.Time
	Cron         string     `gorm:"size:64"`
	NextRunAt    *time.Time `gorm:"index"`
	State        string     `gorm:"size:16;not null;index"`
	ApprovedBy   uint64
	ApprovedAt   *time.Time
	StaffID      uint64
	Runs         int `gorm:"not null;default:0"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (broadcastV1) TableName() string { return "broadcasts" }

type broadcastRunV1 struct {
	ID          uint64    `gorm:"primaryKey"`
	BroadcastID uint64    `gorm:"not null;uniqueIndex:idx_run_due,priority:1"`
	DueAt       time.Time `gorm:"not null;uniqueIndex:idx_run_due,priority:2"`
	Channel     string    `gorm:"size:16;not null"`
	PushID      uint64    `gorm:"not null;default:0;index"`
	State       string    `gorm:"size:16;not null;index"`
	StartedAt   time.Time
	FinishedAt  *time.Time
	Error       string `gorm:"size:191"`
}

func (broadcastRunV1) TableName() string { return "broadcast_runs" }

type massJobV1 struct {
	ID           uint64 `gorm:"primaryKey"`
	RunID        uint64 `gorm:"not null;index"`
	PushID       uint64 `gorm:"not null;index"`
	ClientMsgID  string `gorm:"size:64;not null;uniqueIndex"`
	Target       string `gorm:"size:16;not null"`
	TagID        int32
	FirstRcpt    uint64
	LastRcpt     uint64
	State        string    `gorm:"size:16;not null;index"`
	NextAt       time.Time `gorm:"index"`
	ClaimedUntil *time.Time
	Attempts     int    `gorm:"not null;default:0"`
	MsgID        int64  `gorm:"index"`
	ErrCode      int    `gorm:"not null;default:0"`
	Status       string `gorm:"size:64"`
	Reason       string `gorm:"size:191"`
	TotalCount   int64
	FilterCount  int64
	SentCount    int64
	ErrorCount   int64
	SubmittedAt  *time.Time
	FinishedAt   *time.Time
}

func (massJobV1) TableName() string { return "mass_jobs" }

type massFinishEventV1 struct {
	MsgID       int64  `gorm:"primaryKey;autoIncrement:false"`
	Status      string `gorm:"size:64"`
	TotalCount  int64
	FilterCount int64
	SentCount   int64
	ErrorCount  int64
	CreatedAt   time.Time
}

func (massFinishEventV1) TableName() string { return "mass_finish_events" }

type journeyV1 struct {
	ID           uint64 `gorm:"primaryKey"`
	Name         string `gorm:"size:100;uniqueIndex;not null"`
	State        string `gorm:"size:16;not null;index"`
	Trigger      string `gorm:"size:16;not null"`
	TriggerValue string `gorm:"size:191"`
	Goal         string `gorm:"size:16"`
	GoalValue    string `gorm:"size:191"`
	ReEntry      string `gorm:"size:16;not null"`
	StartID      uint64 `gorm:"not null;default:0"`
	ScanID       uint64 `gorm:"not null;default:0"`
	StartAt      time.Time
	ScannedAt    time.Time
	StaffID      uint64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (journeyV1) TableName() string { return "journeys" }

type journeyStepV1 struct {
	ID           uint64 `gorm:"primaryKey"`
	JourneyID    uint64 `gorm:"not null;index"`
	Position     int    `gorm:"not null"`
	AfterMinutes int64  `gorm:"not null"`
	Content      string `gorm:"type:text;not null"`
	Condition    string `gorm:"type:text"`
	TemplateID   string `gorm:"size:64"`
	TemplateData string `gorm:"type:text"`
}

func (journeyStepV1) TableName() string { return "journey_steps" }

type journeyEnrollmentV1 struct {
	ID             uint64    `gorm:"primaryKey"`
	JourneyID      uint64    `gorm:"not null;uniqueIndex:idx_jenr_event,priority:1;uniqueIndex:idx_jenr_active,priority:1;index:idx_jenr_due,priority:1"`
	MemberID       uint64    `gorm:"not null;uniqueIndex:idx_jenr_event,priority:2;index"`
	TriggerKey     string    `gorm:"size:64;not null;uniqueIndex:idx_jenr_event,priority:3"`
	ActiveMemberID *uint64   `gorm:"uniqueIndex:idx_jenr_active,priority:2"`
	State          string    `gorm:"size:16;not null;index:idx_jenr_due,priority:2"`
	Step           int       `gorm:"not null;default:0;index:idx_jenr_due,priority:3"`
	EnteredAt      time.Time `gorm:"index:idx_jenr_due,priority:4"`
	LastStepAt     *time.Time
	ExitedAt       *time.Time
	ExitReason     string `gorm:"size:16"`
}

func (journeyEnrollmentV1) TableName() string { return "journey_enrollments" }

type journeySendV1 struct {
	ID           uint64 `gorm:"primaryKey"`
	JourneyID    uint64 `gorm:"not null;index"`
	EnrollmentID uint64 `gorm:"not null;uniqueIndex:idx_jsend_step,priority:1"`
	Step         int    `gorm:"not null;uniqueIndex:idx_jsend_step,priority:2"`
	MemberID     uint64 `gorm:"not null"`
	Outcome      string `gorm:"size:16;not null"`
	PushID       *uint64
	CreatedAt    time.Time
}

func (journeySendV1) TableName() string { return "journey_sends" }

type interestV1 struct {
	ID        uint64 `gorm:"primaryKey"`
	Name      string `gorm:"size:64;uniqueIndex;not null"`
	Keywords  string `gorm:"type:text;not null"`
	Tag       string `gorm:"size:64;not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (interestV1) TableName() string { return "interests" }

type jobLeaseV1 struct {
	ID         uint64    `gorm:"primaryKey"`
	Job        string    `gorm:"size:64;not null;uniqueIndex:idx_job_leases_job_tick,priority:1"`
	Tick       time.Time `gorm:"not null;uniqueIndex:idx_job_leases_job_tick,priority:2;index"`
	Holder     string    `gorm:"size:128;not null"`
	ExpiresAt  time.Time `gorm:"not null"`
	FinishedAt *time.Time
	Outcome    string `gorm:"size:16"`
	Err        string `gorm:"size:191"`
}

func (jobLeaseV1) TableName() string { return "job_leases" }

type weChatTokenV1 struct {
	AppID        string    `gorm:"primaryKey;size:64"`
	Token        string    `gorm:"size:1024;not null;default:''"`
	ExpiresAt    time.Time `gorm:"not null"`
	Refresher    string    `gorm:"size:128;not null;default:''"`
	RefreshUntil *time.Time
	UpdatedAt    time.Time
}

func (weChatTokenV1) TableName() string { return "wechat_tokens" }

type materialV1 struct {
	ID              uint64    `gorm:"primaryKey"`
	MediaID         string    `gorm:"size:191;not null;uniqueIndex"`
	Kind            string    `gorm:"size:16;not null;index:idx_materials_kind_updated,priority:1"`
	Name            string    `gorm:"size:255;not null;default:''"`
	Title           string    `gorm:"size:255;not null;default:''"`
	Description     string    `gorm:"type:text"`
	URL             string    `gorm:"size:1024;not null;default:''"`
	FileKey         string    `gorm:"size:255;not null;default:''"`
	ContentType     string    `gorm:"size:64;not null;default:''"`
	Size            int64     `gorm:"not null;default:0"`
	ThumbMediaID    string    `gorm:"size:191;not null;default:''"`
	WeChatUpdatedAt time.Time `gorm:"not null;index:idx_materials_kind_updated,priority:2"`
	SyncedAt        time.Time `gorm:"not null"`
	CreatedBy       uint64    `gorm:"not null;default:0"`
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

func (materialV1) TableName() string { return "materials" }
