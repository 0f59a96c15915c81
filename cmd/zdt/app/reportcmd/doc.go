// Package reportcmd implements `zdt report`: re-render a run directory's reports from its saved data.
package reportcmd
