package console

import (
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/fivec/fivec/models"
)

// journeyForm is the journey editor as typed, so a refused form comes back
// exactly as it was.
type journeyForm struct {
	Name, Trigger, TriggerValue, Goal, GoalValue, ReEntry string
	Paused                                                bool
	Steps                                                 []stepForm
}

// stepForm is one step row. Cond keeps a condition's other filter fields
// (set through the API) that the editor does not show.
type stepForm struct {
	After, Text, TagsAny, TagsNone, Stage string
	TemplateID, TemplateData, Cond        string
}

func newJourneyForm() journeyForm {
	return journeyForm{Trigger: models.TriggerFollowed, ReEntry: models.ReEntryOnce,
		Steps: []stepForm{{After: "0"}, {After: "3d"}}}
}

func parseJourneyForm(v url.Values) journeyForm {
	t := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	f := journeyForm{Name: t("name"), Trigger: t("trigger"), TriggerValue: t("trigger_value"), Goal: t("goal"),
		GoalValue: t("goal_value"), ReEntry: t("re_entry"), Paused: v.Get("paused") != ""}
	for i := 0; i < models.MaxJourneySteps+1; i++ {
		p := "step." + strconv.Itoa(i) + "."
		if _, ok := v[p+"text"]; !ok {
			break
		}
		f.Steps = append(f.Steps, stepForm{After: t(p + "after"), Text: strings.TrimSpace(v.Get(p + "text")), TagsAny: t(p + "tags_any"),
			TagsNone: t(p + "tags_none"), Stage: t(p + "stage"), TemplateID: t(p + "template_id"),
			TemplateData: strings.TrimSpace(v.Get(p + "template_data")), Cond: t(p + "cond")})
	}
	return f
}

// journey turns the form into a journey; blank step rows are left out.
func (f journeyForm) journey() (models.NewJourney, error) {
	n := models.NewJourney{Name: f.Name, Paused: f.Paused, Trigger: f.Trigger, TriggerVal: f.TriggerValue,
		Goal: f.Goal, GoalVal: f.GoalValue, ReEntry: f.ReEntry}
	for i, st := range f.Steps {
		if st.Text == "" && st.TemplateID == "" {
			continue // a blank row
		}
		cond := models.SegmentFilter{}
		if st.Cond != "" {
			_ = json.Unmarshal([]byte(st.Cond), &cond)
		}
		cond.TagsAny, cond.TagsNone, cond.Stages = splitList(st.TagsAny), splitList(st.TagsNone), nil
		if st.Stage != "" {
			cond.Stages = []string{st.Stage}
		}
		ns := models.NewStep{After: st.After, Reply: models.TextReply(st.Text), Condition: &cond, TemplateID: st.TemplateID}
		for _, line := range strings.Split(st.TemplateData, "\n") {
			k, val, ok := strings.Cut(line, "=")
			if strings.TrimSpace(line) == "" {
				continue
			}
			if !ok || strings.TrimSpace(k) == "" {
				return n, models.Errorf(models.EINVALID, "step %d: template fields are lines of key=value", i+1)
			}
			if ns.TemplateData == nil {
				ns.TemplateData = map[string]string{}
			}
			ns.TemplateData[strings.TrimSpace(k)] = strings.TrimSpace(val)
		}
		n.Steps = append(n.Steps, ns)
	}
	return n, nil
}

// journeyFormFrom shows a stored journey in the editor.
func journeyFormFrom(j *models.Journey) journeyForm {
	f := journeyForm{Name: j.Name, Trigger: j.Trigger, TriggerValue: j.TriggerValue, Goal: j.Goal, GoalValue: j.GoalValue,
		ReEntry: j.ReEntry, Paused: j.State == models.JourneyPaused}
	for _, st := range j.Steps {
		r := st.Reply()
		sf := stepForm{After: models.FormatAfter(st.AfterMinutes), Text: r.Text, TemplateID: st.TemplateID, Cond: st.Condition}
		if c := st.Filter(); c != nil {
			sf.TagsAny, sf.TagsNone = strings.Join(c.TagsAny, ", "), strings.Join(c.TagsNone, ", ")
			if len(c.Stages) > 0 {
				sf.Stage = c.Stages[0]
			}
		}
		var lines []string
		for k, v := range st.TemplateFields() {
			lines = append(lines, k+"="+v)
		}
		sort.Strings(lines)
		sf.TemplateData = strings.Join(lines, "\n")
		f.Steps = append(f.Steps, sf)
	}
	return f
}
