package main

import (
	"fmt"
	"os"

	"github.com/go-logr/logr/funcr"
	"k8s.io/klog/v2"
)

// setupLogging keeps klog's text output or switches klog to JSON lines. JSON
// uses logr's funcr rather than component-base's zap backend: same structured
// output, none of zap's binary weight.
func setupLogging(format string) error {
	switch format {
	case "text":
		return nil
	case "json":
		logger := funcr.NewJSON(func(obj string) { fmt.Fprintln(os.Stderr, obj) }, funcr.Options{
			LogCaller:    funcr.None,
			LogTimestamp: true,
			Verbosity:    klogVerbosity(),
		})
		klog.SetLogger(logger)
		return nil
	default:
		return fmt.Errorf("unknown log format %q", format)
	}
}

// klogVerbosity reads -v back from klog so JSON logging honours it.
func klogVerbosity() int {
	for v := 10; v > 0; v-- {
		if klog.V(klog.Level(v)).Enabled() {
			return v
		}
	}
	return 0
}
