package models

import (
	"bytes"
	"context"
	"fmt"

	"gopkg.in/yaml.v3"
)

// RulesFile is the YAML form of all rules, for version control:
//
//	rules:
//	  - name: 营业时间
//	    kind: keyword
//	    priority: 10
//	    keywords: [{text: 营业时间, match: contains}]
//	    replies: [{kind: text, text: 每天 9:00-21:00}]
type RulesFile struct {
	Rules []RuleSpec `yaml:"rules"`
}

// ParseRulesYAML reads a rules file strictly: unknown keys are errors, so a
// typo does not silently drop a setting.
func ParseRulesYAML(b []byte) ([]RuleSpec, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var f RulesFile
	if err := dec.Decode(&f); err != nil {
		return nil, Errorf(EINVALID, "rules file: %v", err)
	}
	return f.Rules, nil
}

// ExportRulesYAML writes every rule, highest priority first.
func (s *Store) ExportRulesYAML(ctx context.Context) ([]byte, error) {
	rules, err := s.ListRules(ctx)
	if err != nil {
		return nil, err
	}
	f := RulesFile{Rules: make([]RuleSpec, 0, len(rules))}
	for _, r := range rules {
		spec, err := r.Decode()
		if err != nil {
			return nil, err
		}
		f.Rules = append(f.Rules, spec)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("export rules: %w", err)
	}
	return buf.Bytes(), nil
}
