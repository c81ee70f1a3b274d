package image

import (
	"runtime"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/fromscratch/fromscratch/collector"
)

// addenda makes the layers of the plan's parts (Split), with their
// history entries: "fromscratch" for the one layer of LayeringNone,
// "fromscratch: NAME" for each of LayeringAuto. The layers are made at
// the same time, as many as GOMAXPROCS allows; each is compressed on one
// goroutine, so its bytes do not depend on that.
func (o *buildOptions) addenda(plan *collector.Plan, mt types.MediaType) ([]mutate.Addendum, error) {
	parts, err := Split(plan, o.layering)
	if err != nil {
		return nil, err
	}
	layers := make([]*layer, len(parts))
	errs := make([]error, len(parts))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, part := range parts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			layers[i], errs[i] = newLayer(part.Plan, o.layer, mt)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			for _, l := range layers {
				if l != nil {
					l.data.discard()
				}
			}
			return nil, err
		}
	}
	created := v1.Time{Time: o.layer.mtime}
	adds := make([]mutate.Addendum, len(parts))
	for i, part := range parts {
		by := CreatedBy
		if o.layering != LayeringNone {
			by += ": " + part.Name
		}
		adds[i] = mutate.Addendum{Layer: layers[i], History: v1.History{Created: created, CreatedBy: by, Comment: o.source.comment()}}
	}
	return adds, nil
}
