// Command pause is the sandbox process of every pod: it sleeps until told to stop and reaps orphans.
package main
