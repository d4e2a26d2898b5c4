// Package watch polls public detainee locators for the people Paradero's
// users follow, keeps every answer as evidence, and says the day a person
// drops out of sight — without mistaking a locator's outage for a
// disappearance. docs/watch.md is the user's reference.
//
// Why this shape:
//   - One interface, Locator, for every kind of source: a per-person
//     locator like ICE's (NewICE), a roster published at a URL (NewRoster)
//     and a folder where files are dropped by hand (NewFolder). Each answer
//     is classified (found, not found, blocked, failed, malformed) before
//     anything is concluded from it.
//   - A round — everyone watched asked once — is judged whole (State.Observe
//     and Rule): a source that fails, or suddenly answers "not found" for
//     most of those it showed in custody while few are still found, is
//     unhealthy, and its "not found" answers count for no one. Only
//     repeated not-found answers from a healthy source make someone gone,
//     so a flight (many gone, the rest answered as before) is flagged and an
//     outage is not.
//   - Every answer is a snapshot source, byte for byte and in the ledger,
//     stored once however often it is seen (a sighting each time); the
//     decision that someone is gone is a source too (Finding), whose records
//     linkage joins to the person, so the person's timeline shows the
//     vanishing with its evidence and a later record of where they were
//     taken explains it.
//   - The Scheduler is polite and durable: a rate limit with jitter, a
//     bounded number of requests in flight, exponential backoff honouring
//     Retry-After, and the state saved in the store after every round, so
//     a restart resumes where it stopped. What a round decided (findings,
//     then the caller's notices, OnChanges) is recorded before that state
//     is saved: recorded twice after a crash at worst, never lost.
//   - Several watchers may share one store (servers on one PostgreSQL
//     database): each job of a round is claimed by one of them under a
//     lease that ends unless renewed, so no one is asked about twice at
//     once and a dead watcher's jobs are taken over; one watcher judges
//     the round (claims.go, SharedStore). The rate limit and backoff are
//     shared too where the store paces requests (Pacer).
//   - Sim serves scripted scenarios and faults over HTTP for the tests and
//     the demo; Transport serves it without a socket, so time-driven tests
//     run under testing/synctest.
//
// Watch keys are opaque names, never personal data: they are logged,
// printed and stored in the clear. Logs name keys and counts only.
package watch
