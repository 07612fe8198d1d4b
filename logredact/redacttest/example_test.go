package redacttest_test

import (
	"fmt"

	"github.com/rampart-go/rampart/logredact/redacttest"
)

// The fake secrets cover every logredact detector.
func ExamplePlants() {
	seen := map[string]bool{}
	for _, p := range redacttest.Plants() {
		if !seen[p.Kind] {
			seen[p.Kind] = true
			fmt.Print(p.Kind, " ")
		}
	}
	fmt.Println()
	// Output:
	// card jwt bearer basic aws github slack stripe private-key url-password query email apikey rampart-token field
}
