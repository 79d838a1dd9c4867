package io.modelpool.cli.output;

/**
 * A bounded sliding window that turns completions arriving in any order into a stream in sequence
 * order, the receive side of a sliding-window protocol (as in TCP's receive window, RFC 9293 section
 * 3.8.6.2, with a fixed window size).
 *
 * <p>Each piece of work takes the next sequence number with {@link #open()}; its completion is stored
 * with {@link #complete(long, Object)} whenever it arrives; {@link #pollNext()} hands completions back
 * strictly in sequence order, each as soon as every earlier one has been handed back. The window holds
 * at most {@link #capacity()} opened-but-not-yet-released entries: when it is full, {@link #hasRoom()}
 * is false and the caller must release (drain {@link #pollNext()}) before opening more. So the number of
 * outstanding pieces of work, and the memory held by completions waiting for an earlier one, are both
 * bounded by the capacity, however the completions are ordered.
 *
 * <p>The slots form a ring indexed by {@code sequence % capacity}: the entries between the oldest
 * unreleased sequence ({@link #nextToRelease()}) and the next to open never exceed the ring, so no two
 * of them share a slot.
 *
 * <p>Not thread-safe: one thread owns it.
 *
 * @param <T> the completion type
 */
public final class ReorderWindow<T> {
    private final Object[] slots;
    private long nextToRelease;
    private long nextToOpen;

    /** A window holding at most {@code capacity} unreleased entries. */
    public ReorderWindow(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, was " + capacity);
        }
        this.slots = new Object[capacity];
    }

    public int capacity() {
        return slots.length;
    }

    /** True when another sequence number may be opened. */
    public boolean hasRoom() {
        return nextToOpen - nextToRelease < slots.length;
    }

    /**
     * Takes the next sequence number (0, 1, 2, ...).
     *
     * @throws IllegalStateException when the window is full
     */
    public long open() {
        if (!hasRoom()) {
            throw new IllegalStateException("reorder window full: " + slots.length + " entries unreleased");
        }
        return nextToOpen++;
    }

    /**
     * Stores the completion of an opened, not yet completed sequence number.
     *
     * @throws IllegalArgumentException when {@code sequence} is not open
     * @throws IllegalStateException when it was already completed
     */
    public void complete(long sequence, T completion) {
        if (sequence < nextToRelease || sequence >= nextToOpen) {
            throw new IllegalArgumentException(
                    "sequence " + sequence + " is not open (open: [" + nextToRelease + ", " + nextToOpen + "))");
        }
        if (completion == null) {
            throw new IllegalArgumentException("completion must not be null");
        }
        int slot = slot(sequence);
        if (slots[slot] != null) {
            throw new IllegalStateException("sequence " + sequence + " is already completed");
        }
        slots[slot] = completion;
    }

    /**
     * Releases the completion of the oldest unreleased sequence number, if it has arrived.
     *
     * @return that completion, or {@code null} when the oldest is still pending or nothing is open
     */
    @SuppressWarnings("unchecked")
    public T pollNext() {
        if (nextToRelease == nextToOpen) {
            return null;
        }
        int slot = slot(nextToRelease);
        T completion = (T) slots[slot];
        if (completion != null) {
            slots[slot] = null;
            nextToRelease++;
        }
        return completion;
    }

    /** Opened sequence numbers not yet released: pending ones plus completed ones waiting for an earlier one. */
    public int unreleased() {
        return (int) (nextToOpen - nextToRelease);
    }

    /** The oldest unreleased sequence number; equals {@link #opened()} when everything was released. */
    public long nextToRelease() {
        return nextToRelease;
    }

    /** How many sequence numbers were opened so far. */
    public long opened() {
        return nextToOpen;
    }

    private int slot(long sequence) {
        return (int) (sequence % slots.length);
    }
}
