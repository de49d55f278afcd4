/*
Copyright The aimlite Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Command openapi-schema prints the OpenAPI v2 document of every model in pkg/generated/openapi.
// hack/update-codegen.sh feeds it to applyconfiguration-gen (--openapi-schema), which then emits
// Extract<Kind> functions and the schema that server-side apply in fake.NewClientset needs.
// It mirrors kubernetes' pkg/generated/openapi/cmd/models-schema.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/util"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/aimlite/aimlite/pkg/generated/openapi"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "openapi-schema: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	ref := func(name string) spec.Ref {
		return spec.MustCreateRef("#/definitions/" + friendlyName(name))
	}
	defs := openapi.GetOpenAPIDefinitions(ref)
	schemas := make(map[string]spec.Schema, len(defs))
	for name, def := range defs {
		schema := def.Schema
		// Some apimachinery types embed a separate v2 schema; the document must be pure v2.
		if v2, ok := def.Schema.Extensions[common.ExtensionV2Schema].(spec.Schema); ok {
			schema = v2
		}
		schemas[friendlyName(name)] = schema
	}
	doc := &spec.Swagger{SwaggerProps: spec.SwaggerProps{
		Swagger:     "2.0",
		Info:        &spec.Info{InfoProps: spec.InfoProps{Title: "aimlite", Version: "unversioned"}},
		Definitions: schemas,
	}}
	// json.Marshal sorts map keys, so the output is deterministic.
	out, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("marshalling definitions: %w", err)
	}
	_, err = os.Stdout.Write(append(out, '\n'))
	return err
}

// friendlyName turns a Go type name ("github.com/x/y/v1.Kind") into the REST-friendly
// definition name ("com.github.x.y.v1.Kind") that applyconfiguration-gen looks up. Types with an
// OpenAPIModelName() method (apimachinery, k8s.io/api) already carry such a name and are kept.
func friendlyName(name string) string {
	if !strings.Contains(name, "/") {
		return name
	}
	return util.ToRESTFriendlyName(name)
}
