// Renders a Modelfile's TEMPLATE for conversations the way Ollama does, with Go's text/template:
//
//	go run main.go Modelfile < conversations.json > prompts.json
//
// conversations.json is [[{"role": "user", "content": "…"}, …], …]; the output is the rendered
// prompt of each, in order. As Ollama's server does, the Modelfile's SYSTEM is put first when a
// conversation has no system turn; as its template package does (template.go, Execute/collate),
// turns of one role in a row are merged, the system turns are joined into .System and kept in
// .Messages, and a template naming .Messages is executed once with missingkey=zero.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/template"
)

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// value reads `COMMAND """…"""` verbatim, as Ollama's parser unquotes triple-quoted values.
func value(modelfile, command string) (string, bool) {
	start := strings.Index(modelfile, "\n"+command+` """`)
	if start < 0 {
		return "", false
	}
	rest := modelfile[start+len(command)+5:]
	end := strings.Index(rest, `"""`)
	if end < 0 {
		return "", false
	}
	return rest[:end], true
}

func collate(msgs []message) (string, []*message) {
	var system []string
	var collated []*message
	for i := range msgs {
		if msgs[i].Role == "system" {
			system = append(system, msgs[i].Content)
		}
		if len(collated) > 0 && collated[len(collated)-1].Role == msgs[i].Role && msgs[i].Role != "tool" {
			collated[len(collated)-1].Content += "\n\n" + msgs[i].Content
		} else {
			collated = append(collated, &msgs[i])
		}
	}
	return strings.Join(system, "\n\n"), collated
}

func run() error {
	if len(os.Args) != 2 {
		return fmt.Errorf("usage: go run main.go Modelfile < conversations.json")
	}
	bytes, err := os.ReadFile(os.Args[1])
	if err != nil {
		return err
	}
	modelfile := string(bytes)
	text, ok := value(modelfile, "TEMPLATE")
	if !ok {
		return fmt.Errorf("%s: no TEMPLATE \"\"\"…\"\"\"", os.Args[1])
	}
	if !strings.Contains(text, ".Messages") {
		return fmt.Errorf("%s: the TEMPLATE does not name .Messages", os.Args[1])
	}
	system, _ := value(modelfile, "SYSTEM")
	funcs := template.FuncMap{"json": func(v any) string { b, _ := json.Marshal(v); return string(b) }}
	tmpl, err := template.New("").Option("missingkey=zero").Funcs(funcs).Parse(text)
	if err != nil {
		return err
	}
	var conversations [][]message
	if err := json.NewDecoder(os.Stdin).Decode(&conversations); err != nil {
		return err
	}
	out := make([]string, 0, len(conversations))
	for _, msgs := range conversations {
		if system != "" && (len(msgs) == 0 || msgs[0].Role != "system") {
			msgs = append([]message{{Role: "system", Content: system}}, msgs...)
		}
		joined, collated := collate(msgs)
		var b strings.Builder
		if err := tmpl.Execute(&b, map[string]any{"System": joined, "Messages": collated, "Tools": nil, "Response": "", "Think": false, "IsThinkSet": false}); err != nil {
			return err
		}
		out = append(out, b.String())
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ollama-template:", err)
		os.Exit(1)
	}
}
