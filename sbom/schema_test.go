package sbom_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/fromscratch/fromscratch/sbom"
)

// schemas are the JSON schemas of testdata/schema (see its README.md for
// where they come from), by the $id each has.
var schemas = map[sbom.Format]struct {
	main  string
	files map[string]string // $id → file
}{
	sbom.SPDX: {"http://spdx.org/rdf/terms/2.3", map[string]string{
		"http://spdx.org/rdf/terms/2.3": "spdx-2.3.schema.json",
	}},
	sbom.CycloneDX: {"http://cyclonedx.org/schema/bom-1.5.schema.json", map[string]string{
		"http://cyclonedx.org/schema/bom-1.5.schema.json":  "bom-1.5.schema.json",
		"http://cyclonedx.org/schema/spdx.schema.json":     "spdx.schema.json",
		"http://cyclonedx.org/schema/jsf-0.82.schema.json": "jsf-0.82.schema.json",
	}},
}

// validate checks data against the format's JSON schema, with format
// assertions on (dates, URIs, e-mail addresses as the schema says).
func validate(t *testing.T, f sbom.Format, data []byte) {
	t.Helper()
	s := schemas[f]
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for id, file := range s.files {
		raw, err := os.ReadFile(filepath.Join("testdata", "schema", file))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if err := c.AddResource(id, doc); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	sch, err := c.Compile(s.main)
	if err != nil {
		t.Fatalf("compiling %s: %v", s.main, err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s SBOM is not JSON: %v", f, err)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("%s SBOM does not validate against %s: %v", f, s.main, err)
	}
}
