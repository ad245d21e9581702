// Package replytemplate holds the Go templates staff write for replies
// (rule replies, canned replies, per-fan broadcasts): which
// part of text/template they may use, and how they are rendered.
//
// text/template cannot be interrupted once it runs, so the bound on time is
// structural: Parse walks the parse tree and accepts only printing the
// documented variables, if/else/with and a few comparison functions. With
// no range, no template calls and no call, every node runs at most once, so
// a rendering costs time in proportion to the template's length (at most
// MaxActions actions). The output cap of Execute is the second line.
//
// A template saved before these checks existed is refused the same way when
// it is loaded, so it can never run.
package replytemplate

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"text/template"
	"text/template/parse"
	"unicode/utf8"
)

// Kind is the type of a variable, which decides what a template may do
// with it.
type Kind int

// Kinds of variables.
const (
	String Kind = iota
	Number
	// Time may also be formatted: {{.Now.Format "15:04"}}.
	Time
)

// Vars are the variables one kind of template may use, by field (or
// method) name of the data it is rendered with.
type Vars map[string]Kind

// MaxActions bounds the {{…}} actions of one template, so even a long
// template renders in a handful of microseconds.
const MaxActions = 200

// Funcs are the functions a template may call. Each takes constant time.
var funcs = []string{"eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not"}

// Error is a template refused by Parse or failing in Execute. Its text is
// Chinese, for the staff member who wrote the template.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// Template is a reply template that passed the checks of Parse.
type Template struct {
	tpl *template.Template
}

// Parse parses text and checks that it only uses vars and the allowed
// constructs. The error, an *Error, says in Chinese what is not allowed and
// what is.
func Parse(text string, vars Vars) (*Template, error) {
	t, err := template.New("reply").Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, &Error{Msg: "模板写法有误：" + strings.TrimPrefix(err.Error(), "template: reply:")}
	}
	if len(t.Templates()) > 1 {
		return nil, refuse(vars, "define / block", 0)
	}
	if t.Tree == nil || t.Tree.Root == nil {
		return &Template{tpl: t}, nil
	}
	c := &checker{vars: vars, text: text}
	if err := c.list(t.Tree.Root, dotRoot); err != nil {
		return nil, err
	}
	if c.actions > MaxActions {
		return nil, &Error{Msg: fmt.Sprintf("模板太复杂：最多 %d 处 {{…}}，这里有 %d 处。", MaxActions, c.actions)}
	}
	return &Template{tpl: t}, nil
}

// Execute renders the template with data, failing once the output would
// pass max bytes.
func (t *Template) Execute(data any, max int) (string, error) {
	buf := &capped{max: max}
	if err := t.tpl.Execute(buf, data); err != nil {
		if errors.Is(err, errTooLong) {
			return "", &Error{Msg: fmt.Sprintf("渲染后的回复超过 %d 字节。", max)}
		}
		return "", &Error{Msg: "模板无法渲染：" + strings.TrimPrefix(err.Error(), "template: reply:")}
	}
	return buf.String(), nil
}

var errTooLong = errors.New("replytemplate: output too long")

// capped fails writes past max, which stops the template.
type capped struct {
	bytes.Buffer
	max int
}

func (b *capped) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		return 0, errTooLong
	}
	return b.Buffer.Write(p)
}

// dot is what "." holds at a point of the template: the root data, or a
// value a with set.
type dot int

const (
	dotRoot dot = iota
	dotString
	dotNumber
	dotTime
	dotOther // the result of a function
)

func dotOf(k Kind) dot {
	switch k {
	case Number:
		return dotNumber
	case Time:
		return dotTime
	}
	return dotString
}

type checker struct {
	vars    Vars
	text    string
	actions int
}

func (c *checker) list(l *parse.ListNode, d dot) error {
	if l == nil {
		return nil
	}
	for _, n := range l.Nodes {
		if err := c.node(n, d); err != nil {
			return err
		}
	}
	return nil
}

func (c *checker) node(n parse.Node, d dot) error {
	switch x := n.(type) {
	case *parse.TextNode, *parse.CommentNode:
		return nil
	case *parse.ActionNode:
		c.actions++
		_, err := c.pipe(x.Pipe, d, x)
		return err
	case *parse.IfNode:
		c.actions++
		if _, err := c.pipe(x.Pipe, d, x); err != nil {
			return err
		}
		if err := c.list(x.List, d); err != nil {
			return err
		}
		return c.list(x.ElseList, d)
	case *parse.WithNode:
		c.actions++
		inner, err := c.pipe(x.Pipe, d, x)
		if err != nil {
			return err
		}
		if err := c.list(x.List, inner); err != nil {
			return err
		}
		return c.list(x.ElseList, d)
	}
	return c.refuse(n, n)
}

// pipe checks one pipeline: no variables declared, a single command. It
// returns what the pipeline yields, for a with.
func (c *checker) pipe(p *parse.PipeNode, d dot, at parse.Node) (dot, error) {
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 1 {
		return 0, c.refuse(at, at)
	}
	args := p.Cmds[0].Args
	if id, ok := args[0].(*parse.IdentifierNode); ok {
		if !slices.Contains(funcs, id.Ident) || len(args) < 2 {
			return 0, c.refuse(at, id)
		}
		for _, a := range args[1:] {
			if _, err := c.operand(a, d, false, at); err != nil {
				return 0, err
			}
		}
		return dotOther, nil
	}
	// .Now.Format "15:04": a time's Format with one constant layout.
	if len(args) == 2 {
		if _, ok := args[1].(*parse.StringNode); ok && isFormat(args[0]) {
			return c.operand(args[0], d, true, at)
		}
	}
	if len(args) != 1 {
		return 0, c.refuse(at, at)
	}
	return c.operand(args[0], d, false, at)
}

func isFormat(n parse.Node) bool {
	var idents []string
	switch x := n.(type) {
	case *parse.FieldNode:
		idents = x.Ident
	case *parse.VariableNode:
		idents = x.Ident
	}
	return len(idents) > 0 && idents[len(idents)-1] == "Format"
}

// operand checks a value: a literal, "." inside a with, or a chain of
// fields that names a variable (".Name", "$.Name"); format allows a final
// ".Format" on a time.
func (c *checker) operand(n parse.Node, d dot, format bool, at parse.Node) (dot, error) {
	switch x := n.(type) {
	case *parse.StringNode:
		return dotString, nil
	case *parse.NumberNode:
		return dotNumber, nil
	case *parse.BoolNode:
		return dotOther, nil
	case *parse.DotNode:
		if d == dotRoot {
			return 0, c.refuse(at, x)
		}
		return d, nil
	case *parse.FieldNode:
		return c.fields(x.Ident, d, format, at, x)
	case *parse.VariableNode:
		if x.Ident[0] != "$" || len(x.Ident) < 2 {
			return 0, c.refuse(at, x)
		}
		return c.fields(x.Ident[1:], dotRoot, format, at, x)
	}
	return 0, c.refuse(at, n)
}

func (c *checker) fields(idents []string, d dot, format bool, at, n parse.Node) (dot, error) {
	for i, id := range idents {
		switch {
		case d == dotRoot:
			k, ok := c.vars[id]
			if !ok {
				return 0, c.refuse(at, n)
			}
			d = dotOf(k)
		case d == dotTime && id == "Format" && format && i == len(idents)-1:
			d = dotString
		default:
			return 0, c.refuse(at, n)
		}
	}
	return d, nil
}

func (c *checker) refuse(at, what parse.Node) error {
	line := 0
	if at != nil {
		line = 1 + strings.Count(c.text[:min(int(at.Position()), len(c.text))], "\n")
	}
	return refuse(c.vars, describe(what), line)
}

// describe names what was refused, briefly.
func describe(n parse.Node) string {
	switch x := n.(type) {
	case *parse.RangeNode:
		return "range"
	case *parse.TemplateNode:
		return "template"
	case *parse.BreakNode, *parse.ContinueNode:
		return "break / continue"
	case *parse.IdentifierNode:
		return x.Ident
	}
	s := n.String()
	if !strings.HasPrefix(s, "{{") {
		s = "{{" + s + "}}"
	}
	if utf8.RuneCountInString(s) > 40 {
		r := []rune(s)
		s = string(r[:40]) + "…"
	}
	return s
}

// refuse is the Chinese refusal: what is not allowed, where, and what is.
func refuse(vars Vars, what string, line int) error {
	names := make([]string, 0, len(vars))
	for k, kind := range vars {
		if kind == Time {
			names = append(names, "{{."+k+".Format \"15:04\"}}")
		} else {
			names = append(names, "{{."+k+"}}")
		}
	}
	sort.Strings(names)
	where := ""
	if line > 0 {
		where = fmt.Sprintf("第 %d 行", line)
	}
	return &Error{Msg: fmt.Sprintf("模板%s不允许使用 %s。回复模板只能使用变量 %s，if / else / with，以及函数 %s。",
		where, what, strings.Join(names, " "), strings.Join(funcs, "、"))}
}
