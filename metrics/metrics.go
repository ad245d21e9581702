// Package metrics holds fivec's Prometheus collectors. One *Metrics is built
// in cmd/ and handed to whoever records; nothing registers globally.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the collectors served on /metrics.
type Metrics struct {
	Registry *prometheus.Registry
	// Requests counts HTTP requests by route pattern, method and status.
	Requests *prometheus.CounterVec
	// CallbackSeconds is the time the WeChat callback took to answer, by mode.
	CallbackSeconds *prometheus.HistogramVec
	// Messages counts inbound messages by type (text, image, event:subscribe…)
	// and outcome (new, duplicate).
	Messages *prometheus.CounterVec
	// WeChatCalls counts calls to the WeChat API by endpoint and errcode.
	WeChatCalls *prometheus.CounterVec
	// Deferred counts replies that missed the passive deadline and went out
	// as customer-service messages.
	Deferred prometheus.Counter
	// JobRuns counts scheduled job ticks by job and outcome in this process
	// (ran, failed, skipped, or elsewhere: another process held the tick).
	JobRuns *prometheus.CounterVec
	// RecordBatch is the number of callbacks' writes per message-log
	// transaction, by outcome (ok, failed: then each is retried alone).
	RecordBatch *prometheus.HistogramVec
	// Spooled counts messages kept in the local spool because the database
	// was unavailable; Replayed those recorded from it afterwards.
	Spooled, Replayed prometheus.Counter
}

// New builds the collectors on a fresh registry.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fivec_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		CallbackSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "fivec_callback_duration_seconds", Help: "Time to answer a WeChat callback.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2, 3, 4, 4.5, 5},
		}, []string{"mode"}),
		Messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fivec_messages_total", Help: "Inbound WeChat messages by type and outcome.",
		}, []string{"type", "outcome"}),
		WeChatCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fivec_wechat_api_calls_total", Help: "Calls to the WeChat API by endpoint and errcode.",
		}, []string{"endpoint", "errcode"}),
		Deferred: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fivec_replies_deferred_total", Help: "Replies sent as customer-service messages after the passive deadline.",
		}),
		JobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fivec_job_runs_total", Help: "Scheduled job ticks by job and outcome (elsewhere: another process ran it).",
		}, []string{"job", "outcome"}),
		RecordBatch: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "fivec_record_batch_size", Help: "Message-log writes committed per transaction, by outcome.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
		}, []string{"outcome"}),
		Spooled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fivec_spooled_messages_total", Help: "Inbound messages spooled to disk while the database was unavailable.",
		}),
		Replayed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fivec_spool_replayed_total", Help: "Spooled messages recorded and answered once the database was back.",
		}),
	}
	m.Registry.MustRegister(m.JobRuns, m.RecordBatch, m.Spooled, m.Replayed)
	m.Registry.MustRegister(m.Requests, m.CallbackSeconds, m.Messages, m.WeChatCalls, m.Deferred,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveRecordBatch is a models.RecorderOptions.Observe for RecordBatch.
func (m *Metrics) ObserveRecordBatch(ops int, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "failed"
	}
	m.RecordBatch.WithLabelValues(outcome).Observe(float64(ops))
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}
