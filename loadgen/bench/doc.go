// Command zdt-loadbench measures zdt's attacker and recorder against plain vegeta at the same rate: achieved rate and CPU per request of each.
package main
