/* A fixed-size ring buffer. */
#include <stddef.h>
#include <string.h>

#define RING_CAPACITY 64

/* The buffer itself. */
typedef struct ring {
    size_t head;
    size_t tail;
    char data[RING_CAPACITY];
} ring_t;

/* Which way to read. */
enum direction { FORWARD, BACKWARD };

static int internal_counter = 0;

/* Resets the buffer to empty. */
void ring_init(ring_t *ring) {
    memset(ring, 0, sizeof(*ring)); /* BODY_MARKER */
}

/* Pushes one byte; returns 0 when full. */
int ring_push(ring_t *ring, char byte) {
    size_t next = (ring->head + 1) % RING_CAPACITY; /* BODY_MARKER */
    if (next == ring->tail) return 0;
    ring->data[ring->head] = byte;
    ring->head = next;
    return 1;
}
