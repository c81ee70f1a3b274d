package main

import (
	"context"
	"fmt"
	"io"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/image"
)

// writePlanOnBase prints the plan as 'image --base ref' writes it: the
// entries it keeps, then a "base" line for each file and link the base
// has already.
func writePlanOnBase(w io.Writer, p *collector.Plan, ref string) error {
	base, err := image.LoadBase(context.Background(), ref, p.Platform)
	if err != nil {
		return err
	}
	kept, left, err := image.LeaveOut(p, base)
	if err != nil {
		return err
	}
	writePlan(w, kept)
	for _, e := range left {
		fmt.Fprintf(w, "base     %s%s (the base has it: left out)\n", e.Path, targetSuffix(&e))
	}
	return nil
}
