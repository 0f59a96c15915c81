// Package report turns a zdt run's samples, timeline and states into measurements, a verdict and the renderings users read: terminal summary, report.json, junit.xml and report.html.
package report
