// helm-render renders a chart directory the way Helm 3's engine does (pkg/engine/engine.go, funcs.go;
// pkg/chartutil/values.go, coalesce.go, capabilities.go, jsonschema.go), for tests: Go's text/template with
// sprig's TxtFuncMap (minus env and expandenv), Helm's include, tpl, required, lookup (empty, as `helm template`
// has no cluster), toYaml/fromYaml/toJson/fromJson, missingkey=zero with "<no value>" removed, values coalesced
// over values.yaml (null deletes a default) and validated against values.schema.json with gojsonschema, and
// .Values/.Release/.Chart/.Capabilities/.Template/.Files.
//
// Usage: helm-render -chart DIR -name RELEASE -namespace NS [-values FILE.json]... [-kube-version v1.31.0]
//
//	[-api-versions monitoring.coreos.com/v1,...] [-upgrade] [-revision N]
//
// Prints {"manifests": {"<chart>/templates/<file>": "<rendered text>"}}; an error goes to stderr, exit 1.
// toToml is not provided (no Debian package of BurntSushi/toml is needed by the chart).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"github.com/xeipuuv/gojsonschema"
	yaml "gopkg.in/yaml.v2"
)

// ---- sigs.k8s.io/yaml semantics: YAML is read through JSON (numbers become float64), written from JSON.

func convertYAML(v interface{}) (interface{}, error) {
	switch t := v.(type) {
	case map[interface{}]interface{}:
		m := make(map[string]interface{}, len(t))
		for k, val := range t {
			var key string
			switch kk := k.(type) {
			case string:
				key = kk
			case bool, int, int64, float64, uint64:
				key = fmt.Sprint(kk)
			default:
				return nil, fmt.Errorf("unsupported map key %#v", k)
			}
			c, err := convertYAML(val)
			if err != nil {
				return nil, err
			}
			m[key] = c
		}
		return m, nil
	case []interface{}:
		out := make([]interface{}, len(t))
		for i, val := range t {
			c, err := convertYAML(val)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	default:
		return v, nil
	}
}

func yamlToJSON(y []byte) ([]byte, error) {
	var obj interface{}
	if err := yaml.Unmarshal(y, &obj); err != nil {
		return nil, err
	}
	c, err := convertYAML(obj)
	if err != nil {
		return nil, err
	}
	return json.Marshal(c)
}

func yamlUnmarshal(y []byte, out interface{}) error {
	j, err := yamlToJSON(y)
	if err != nil {
		return fmt.Errorf("error converting YAML to JSON: %v", err)
	}
	return json.Unmarshal(j, out)
}

func yamlMarshal(v interface{}) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("error marshaling into JSON: %v", err)
	}
	var obj interface{}
	if err := yaml.Unmarshal(j, &obj); err != nil {
		return nil, err
	}
	return yaml.Marshal(obj)
}

// ---- chart, values, capabilities

// Metadata is Chart.yaml (pkg/chart/metadata.go): templates read .Chart.Name, .Chart.Version, ….
type Metadata struct {
	Name         string            `json:"name,omitempty"`
	Home         string            `json:"home,omitempty"`
	Sources      []string          `json:"sources,omitempty"`
	Version      string            `json:"version,omitempty"`
	Description  string            `json:"description,omitempty"`
	Keywords     []string          `json:"keywords,omitempty"`
	Icon         string            `json:"icon,omitempty"`
	APIVersion   string            `json:"apiVersion,omitempty"`
	Condition    string            `json:"condition,omitempty"`
	Tags         string            `json:"tags,omitempty"`
	AppVersion   string            `json:"appVersion,omitempty"`
	Deprecated   bool              `json:"deprecated,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	KubeVersion  string            `json:"kubeVersion,omitempty"`
	Type         string            `json:"type,omitempty"`
}

// KubeVersion and VersionSet as pkg/chartutil/capabilities.go has them.
type KubeVersion struct {
	Version string
	Major   string
	Minor   string
}

func (kv *KubeVersion) String() string     { return kv.Version }
func (kv *KubeVersion) GitVersion() string { return kv.Version }

type VersionSet []string

func (v VersionSet) Has(apiVersion string) bool {
	for _, x := range v {
		if x == apiVersion {
			return true
		}
	}
	return false
}

type Capabilities struct {
	KubeVersion KubeVersion
	APIVersions VersionSet
}

// Files is the chart's non-template files (pkg/engine/files.go).
type Files map[string][]byte

func (f Files) GetBytes(name string) []byte { return f[name] }
func (f Files) Get(name string) string      { return string(f[name]) }
func (f Files) Lines(name string) []string {
	if f[name] == nil {
		return []string{}
	}
	return strings.Split(string(f[name]), "\n")
}

// coalesce merges chart defaults under user values (pkg/chartutil/coalesce.go): maps merge recursively, a
// user value wins, an explicit null removes the default.
func coalesce(dst, defaults map[string]interface{}) map[string]interface{} {
	for k, dv := range defaults {
		uv, ok := dst[k]
		if !ok {
			dst[k] = dv
			continue
		}
		if uv == nil {
			delete(dst, k)
			continue
		}
		um, uok := uv.(map[string]interface{})
		dm, dok := dv.(map[string]interface{})
		if uok && dok {
			dst[k] = coalesce(um, dm)
		}
	}
	for k, v := range dst {
		if v == nil {
			delete(dst, k)
		}
	}
	return dst
}

func mergeUser(dst, src map[string]interface{}) map[string]interface{} {
	for k, sv := range src {
		if sm, ok := sv.(map[string]interface{}); ok {
			if dm, ok := dst[k].(map[string]interface{}); ok {
				dst[k] = mergeUser(dm, sm)
				continue
			}
		}
		dst[k] = sv
	}
	return dst
}

func validateSchema(values map[string]interface{}, schema []byte) error {
	y, err := yamlMarshal(values)
	if err != nil {
		return err
	}
	j, err := yamlToJSON(y)
	if err != nil {
		return err
	}
	if string(j) == "null" {
		j = []byte("{}")
	}
	res, err := gojsonschema.Validate(gojsonschema.NewBytesLoader(schema), gojsonschema.NewBytesLoader(j))
	if err != nil {
		return err
	}
	if !res.Valid() {
		var sb strings.Builder
		for _, d := range res.Errors() {
			sb.WriteString(fmt.Sprintf("- %s\n", d))
		}
		return errors.New(sb.String())
	}
	return nil
}

// ---- the engine

const warnStart, warnEnd = "HELM_ERR_START", "HELM_ERR_END"

var warnRegex = regexp.MustCompile(warnStart + `((?s).*)` + warnEnd)

func funcMap() template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	f["toYaml"] = func(v interface{}) string {
		data, err := yamlMarshal(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(string(data), "\n")
	}
	f["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yamlUnmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["fromYamlArray"] = func(s string) []interface{} {
		a := []interface{}{}
		if err := yamlUnmarshal([]byte(s), &a); err != nil {
			a = []interface{}{err.Error()}
		}
		return a
	}
	f["toJson"] = func(v interface{}) string {
		data, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(data)
	}
	f["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["fromJsonArray"] = func(s string) []interface{} {
		a := []interface{}{}
		if err := json.Unmarshal([]byte(s), &a); err != nil {
			a = []interface{}{err.Error()}
		}
		return a
	}
	f["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	f["required"] = func(warn string, val interface{}) (interface{}, error) {
		if val == nil {
			return val, errors.New(warnStart + warn + warnEnd)
		}
		if s, ok := val.(string); ok && s == "" {
			return val, errors.New(warnStart + warn + warnEnd)
		}
		return val, nil
	}
	return f
}

const recursionMax = 1000

func includeFun(t *template.Template, names map[string]int) func(string, interface{}) (string, error) {
	return func(name string, data interface{}) (string, error) {
		var buf strings.Builder
		if v, ok := names[name]; ok {
			if v > recursionMax {
				return "", fmt.Errorf("rendering template has a nested reference name: %s: unable to execute template", name)
			}
			names[name]++
		} else {
			names[name] = 1
		}
		err := t.ExecuteTemplate(&buf, name, data)
		names[name]--
		return buf.String(), err
	}
}

func tplFun(parent *template.Template, names map[string]int) func(string, map[string]interface{}) (string, error) {
	return func(tpl string, vals map[string]interface{}) (string, error) {
		t, err := parent.Clone()
		if err != nil {
			return "", fmt.Errorf("cannot clone template: %v", err)
		}
		t.Option("missingkey=zero")
		t.Funcs(template.FuncMap{"include": includeFun(t, names), "tpl": tplFun(t, names)})
		tmpl, _ := vals["Template"].(map[string]interface{})
		name, _ := tmpl["Name"].(string)
		t, err = t.New(name).Parse(tpl)
		if err != nil {
			return "", fmt.Errorf("cannot parse template %q: %v", tpl, err)
		}
		var buf strings.Builder
		if err := t.Execute(&buf, vals); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %v", tpl, err)
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
}

func cleanupExecError(filename string, err error) error {
	if _, ok := err.(template.ExecError); !ok {
		return err
	}
	tokens := strings.SplitN(err.Error(), ": ", 3)
	if len(tokens) != 3 {
		return fmt.Errorf("execution error in (%s): %s", filename, err)
	}
	if parts := warnRegex.FindStringSubmatch(tokens[2]); len(parts) >= 2 {
		return fmt.Errorf("execution error at (%s): %s", tokens[1], parts[1])
	}
	return err
}

func cleanupParseError(filename string, err error) error {
	tokens := strings.Split(err.Error(), ": ")
	if len(tokens) == 1 {
		return fmt.Errorf("parse error in (%s): %s", filename, err)
	}
	return fmt.Errorf("parse error at (%s): %s", tokens[1], tokens[len(tokens)-1])
}

// byPathLen: templates parse in a predictable order, shallow paths first (engine.go sortTemplates, reversed).
func sortTemplates(keys []string) {
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		ca, cb := strings.Count(a, "/"), strings.Count(b, "/")
		if ca == cb {
			return a > b
		}
		return ca > cb
	})
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func run() (map[string]string, error) {
	var valueFiles listFlag
	chartDir := flag.String("chart", "", "chart directory")
	name := flag.String("name", "release-name", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	kubeVersion := flag.String("kube-version", "v1.31.0", "Capabilities.KubeVersion")
	apiVersions := flag.String("api-versions", "", "extra Capabilities.APIVersions, comma-separated")
	upgrade := flag.Bool("upgrade", false, "Release.IsUpgrade")
	revision := flag.Int("revision", 1, "Release.Revision")
	flag.Var(&valueFiles, "values", "values file (YAML or JSON), repeatable")
	flag.Parse()

	metaBytes, err := os.ReadFile(filepath.Join(*chartDir, "Chart.yaml"))
	if err != nil {
		return nil, err
	}
	var meta Metadata
	if err := yamlUnmarshal(metaBytes, &meta); err != nil {
		return nil, fmt.Errorf("Chart.yaml: %v", err)
	}
	defaults := map[string]interface{}{}
	if b, err := os.ReadFile(filepath.Join(*chartDir, "values.yaml")); err == nil {
		if err := yamlUnmarshal(b, &defaults); err != nil {
			return nil, fmt.Errorf("values.yaml: %v", err)
		}
	}
	user := map[string]interface{}{}
	for _, f := range valueFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		cur := map[string]interface{}{}
		if err := yamlUnmarshal(b, &cur); err != nil {
			return nil, fmt.Errorf("%s: %v", f, err)
		}
		user = mergeUser(user, cur)
	}
	values := coalesce(user, defaults)
	if schema, err := os.ReadFile(filepath.Join(*chartDir, "values.schema.json")); err == nil {
		if err := validateSchema(values, schema); err != nil {
			return nil, fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s:\n%s", meta.Name, err)
		}
	}

	files := Files{}
	templates := map[string]string{}
	err = filepath.Walk(*chartDir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(*chartDir, p)
		rel = filepath.ToSlash(rel)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(rel, "templates/"):
			templates[path.Join(meta.Name, rel)] = string(b)
		case rel == "Chart.yaml" || rel == "values.yaml" || rel == "values.schema.json" || rel == ".helmignore" || strings.HasPrefix(rel, "charts/"):
		default:
			files[rel] = b
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	kv := strings.TrimPrefix(*kubeVersion, "v")
	parts := strings.SplitN(kv, ".", 3)
	if len(parts) < 2 {
		return nil, fmt.Errorf("invalid kube version %q", *kubeVersion)
	}
	apis := VersionSet{"v1", "apps/v1", "batch/v1", "policy/v1", "networking.k8s.io/v1", "autoscaling/v2", "rbac.authorization.k8s.io/v1"}
	for _, a := range strings.Split(*apiVersions, ",") {
		if a != "" {
			apis = append(apis, a)
		}
	}
	top := map[string]interface{}{
		"Chart":        &meta,
		"Capabilities": &Capabilities{KubeVersion: KubeVersion{Version: "v" + kv, Major: parts[0], Minor: parts[1]}, APIVersions: apis},
		"Release": map[string]interface{}{
			"Name":      *name,
			"Namespace": *namespace,
			"IsUpgrade": *upgrade,
			"IsInstall": !*upgrade,
			"Revision":  *revision,
			"Service":   "Helm",
		},
		"Values": values,
		"Files":  files,
	}

	t := template.New("gotpl")
	t.Option("missingkey=zero")
	names := map[string]int{}
	fm := funcMap()
	fm["include"] = includeFun(t, names)
	fm["tpl"] = tplFun(t, names)
	t.Funcs(fm)

	keys := make([]string, 0, len(templates))
	for k := range templates {
		keys = append(keys, k)
	}
	sortTemplates(keys)
	for _, k := range keys {
		if _, err := t.New(k).Parse(templates[k]); err != nil {
			return nil, cleanupParseError(k, err)
		}
	}
	out := map[string]string{}
	basePath := path.Join(meta.Name, "templates")
	for _, k := range keys {
		if strings.HasPrefix(path.Base(k), "_") {
			continue
		}
		top["Template"] = map[string]interface{}{"Name": k, "BasePath": basePath}
		var buf strings.Builder
		if err := t.ExecuteTemplate(&buf, k, top); err != nil {
			return nil, cleanupExecError(k, err)
		}
		out[k] = strings.ReplaceAll(buf.String(), "<no value>", "")
	}
	return out, nil
}

func main() {
	out, err := func() (out map[string]string, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("rendering template failed: %v", r)
			}
		}()
		return run()
	}()
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string]interface{}{"manifests": out}); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
