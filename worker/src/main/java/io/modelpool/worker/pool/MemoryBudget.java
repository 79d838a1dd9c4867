package io.modelpool.worker.pool;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the models of one or more pools within a memory limit. A model's cost is its live workers times its
 * {@link MaintenancePolicy#bytesPerWorker()}; a worker counts from the moment it is started until its thread has
 * ended and its runner is closed, so memory that is being freed is still counted.
 *
 * <p>The rule: a worker starts only when its estimate fits under the limit. When it does not, the least recently
 * used idle models (ready, nothing queued or running, their pool not shutting down) are unloaded, oldest use first,
 * until it would fit; but only when unloading them can make enough room, so that nothing is unloaded in vain, and
 * never a model with work in flight. A load that cannot fit yet keeps its tasks queued and is admitted as soon as
 * room comes free (whenever a worker ends, and on every maintenance pass); a load that could not fit even with every
 * other model unloaded fails with {@link PoolError.ModelLoadFailed} rather than wait forever. A load is given as
 * many of its initial workers as fit, and no fewer than its policy's minimum.
 *
 * <p>This is least-recently-used eviction, as in a cache sized by weight (Caffeine's {@code maximumWeight}), with
 * two differences that come from what the entries are: an entry in use cannot be evicted, and an entry that does
 * not fit waits instead of being admitted over the limit.
 *
 * <p>Thread-safe: every decision runs under this object's lock, which is taken before a lane's own lock, never after.
 */
final class MemoryBudget {

    private static final Logger LOG = LoggerFactory.getLogger(MemoryBudget.class);

    private final long limitBytes;
    private final List<ModelPool<?, ?>> pools = new CopyOnWriteArrayList<>();

    /** @param limitBytes the limit; {@link Long#MAX_VALUE} for none */
    MemoryBudget(long limitBytes) {
        if (limitBytes <= 0) {
            throw new IllegalArgumentException("memory budget = " + limitBytes + " bytes is invalid; allowed: > 0");
        }
        this.limitBytes = limitBytes;
    }

    void cover(ModelPool<?, ?> pool) {
        if (!pools.contains(pool)) {
            pools.add(pool);
        }
    }

    long limitBytes() {
        return limitBytes;
    }

    /** The estimated memory of every live worker of every covered model. */
    synchronized long usedBytes() {
        long sum = 0;
        for (ModelLane<?, ?> lane : lanes()) {
            sum += lane.reservedBytes();
        }
        return sum;
    }

    /** Starts the lane's waiting load if it fits, making room first where it can; otherwise it keeps waiting. */
    synchronized void admitLoad(ModelLane<?, ?> lane) {
        if (!lane.awaitsRoom()) {
            return;
        }
        MaintenancePolicy policy = lane.policy();
        int min = policy.minWorkers();
        if (policy.bytesFor(min) > limitBytes) {
            lane.failLoad("its " + min + " worker(s) need about " + policy.bytesFor(min)
                    + " bytes, more than the whole memory budget of " + limitBytes + " bytes");
            return;
        }
        long used = usedBytes();
        for (int n = lane.initialWorkers(); n >= min; n--) {
            if (policy.bytesFor(n) <= limitBytes - used) {
                lane.spawnForLoad(n);
                return;
            }
        }
        makeRoom(lane, policy.bytesFor(min), used);
        LOG.debug(
                "Model '{}' in pool '{}' waits for {} bytes of room in the memory budget ({} of {} used)",
                lane.key(),
                lane.poolName(),
                policy.bytesFor(min),
                used,
                limitBytes);
    }

    /** Admits every load that waits for room, in the order they were last used. */
    synchronized void admitWaiting() {
        List<ModelLane<?, ?>> waiting = new ArrayList<>();
        for (ModelLane<?, ?> lane : lanes()) {
            if (lane.awaitsRoom()) {
                waiting.add(lane);
            }
        }
        waiting.sort(Comparator.comparingLong(ModelLane::lastUsedNanos));
        for (ModelLane<?, ?> lane : waiting) {
            admitLoad(lane);
        }
    }

    /** Starts one more worker of a ready lane if it fits (making room where it can); returns whether it did. */
    synchronized boolean admitWorker(ModelLane<?, ?> lane) {
        long need = lane.policy().bytesPerWorker();
        long used = usedBytes();
        if (need <= limitBytes - used) {
            return lane.spawnOne();
        }
        makeRoom(lane, need, used);
        return false;
    }

    /** Unloads idle models, least recently used first, while the covered models use more than the limit. */
    synchronized void trim() {
        long used = usedBytes();
        if (used > limitBytes) {
            makeRoom(null, 0, used);
        }
    }

    /**
     * Unloads least recently used idle models other than {@code requester} until {@code need} more bytes would fit
     * once their workers have ended, if they can free that much at all. The room comes free when their workers
     * end, so the caller waits for {@link #admitWaiting} or the next pass.
     */
    private void makeRoom(ModelLane<?, ?> requester, long need, long used) {
        long freeing = 0;
        List<ModelLane<?, ?>> idle = new ArrayList<>();
        long freeable = 0;
        for (ModelLane<?, ?> lane : lanes()) {
            freeing += lane.retiringBytes();
            if (lane != requester && lane.unloadable()) {
                idle.add(lane);
                freeable += lane.reservedBytes() - lane.retiringBytes();
            }
        }
        long after = used - freeing;
        if (need <= limitBytes - after || need > limitBytes - (after - freeable)) {
            return; // room is coming free already, or models with work in flight hold it: wait either way
        }
        idle.sort(Comparator.comparingLong(ModelLane::lastUsedNanos));
        for (ModelLane<?, ?> victim : idle) {
            if (need <= limitBytes - after) {
                return;
            }
            long bytes = victim.reservedBytes() - victim.retiringBytes();
            if (victim.unload(LoadObserver.UnloadReason.MEMORY_BUDGET)) {
                after -= bytes;
            }
        }
    }

    private List<ModelLane<?, ?>> lanes() {
        List<ModelLane<?, ?>> all = new ArrayList<>();
        for (ModelPool<?, ?> pool : pools) {
            all.addAll(pool.lanesSnapshot());
        }
        return all;
    }
}
