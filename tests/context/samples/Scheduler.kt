package com.example.scheduler

import java.time.Duration

/** The longest delay allowed. */
const val MAX_DELAY_SECONDS = 3600

/** A scheduled task. */
data class Task(val id: String, val delay: Duration)

/** Runs tasks later. */
interface Executor {
    /** Schedules one task. */
    fun schedule(task: Task): Boolean
}

/** A simple in-memory scheduler. */
class Scheduler(private val executor: Executor) {
    /** Schedules every task. */
    fun scheduleAll(tasks: List<Task>): Int {
        var n = 0 // BODY_MARKER
        for (t in tasks) if (executor.schedule(t)) n++
        return n
    }
}

/** Parses a delay like "5s". */
fun parseDelay(text: String): Duration {
    return Duration.ofSeconds(text.trimEnd('s').toLong()) // BODY_MARKER
}
