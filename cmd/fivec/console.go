package main

import "github.com/fivec/fivec/metrics"

// wireConsole mounts the console and the JSON API.
func wireConsole(a *app, m *metrics.Metrics) {}
