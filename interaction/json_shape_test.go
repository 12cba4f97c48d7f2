package interaction

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
)

// JSONShape describes the wire form of a schema's document (json.go): its
// objects' field names, types and omitempty, object by object, enums as
// "enum" (their value sets may grow within a version). The fingerprint
// test hashes it.
func JSONShape(schema string) string {
	root := map[string]any{ViewSchema: jsonView{}, PageSchema: jsonPage{}, EventSchema: jsonEvent{}, DeltaSchema: jsonDelta{}}[schema]
	if root == nil {
		return ""
	}
	wire := map[reflect.Type]reflect.Type{}
	for _, p := range [][2]any{{Target{}, jsonTarget{}}, {Scope{}, jsonScope{}}, {Notice{}, jsonNotice{}}, {PartyView{}, jsonPartyView{}},
		{Message{}, jsonMessage{}}, {Leg{}, jsonLeg{}}, {Request{}, jsonRequest{}}, {View{}, jsonView{}}, {Event{}, jsonEvent{}}} {
		wire[reflect.TypeOf(p[0])] = reflect.TypeOf(p[1])
	}
	objects := map[string]string{}
	var name func(t reflect.Type) string
	name = func(t reflect.Type) string {
		switch {
		case t == reflect.TypeOf(time.Time{}):
			return "time"
		case t.Kind() == reflect.Pointer:
			return name(t.Elem())
		case t.Kind() == reflect.Slice:
			return "[]" + name(t.Elem())
		case wire[t] != nil:
			return name(wire[t])
		case t.Implements(reflect.TypeOf((*interface{ MarshalText() ([]byte, error) })(nil)).Elem()) || reflect.PointerTo(t).Implements(reflect.TypeOf((*interface{ UnmarshalText([]byte) error })(nil)).Elem()):
			return "enum"
		case t.Kind() == reflect.Struct:
			key := t.Name()
			if _, done := objects[key]; done {
				return key
			}
			objects[key] = ""
			var fields []string
			var walk func(t reflect.Type)
			walk = func(t reflect.Type) {
				for i := 0; i < t.NumField(); i++ {
					f := t.Field(i)
					if f.Anonymous {
						walk(f.Type)
						continue
					}
					fields = append(fields, fmt.Sprintf("%s:%s", f.Tag.Get("json"), name(f.Type)))
				}
			}
			walk(t)
			objects[key] = strings.Join(fields, ",")
			return key
		}
		return t.Kind().String()
	}
	top := name(reflect.TypeOf(root))
	keys := make([]string, 0, len(objects))
	for k := range objects {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%s root %s\n", schema, top)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s {%s}\n", k, objects[k])
	}
	return b.String()
}
