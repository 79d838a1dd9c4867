package io.modelpool.worker.kafka;

import io.modelpool.v1.ErrorCode;
import io.modelpool.worker.capability.CapabilityService;
import io.modelpool.worker.capability.Outcome;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.pool.PoolRejectedException;
import io.modelpool.worker.pool.Withdrawal;
import io.modelpool.worker.pool.Withdrawals;
import java.util.concurrent.CompletableFuture;
import org.apache.avro.specific.SpecificRecord;

/**
 * Hands a request to its capability unless its job no longer wants it. A request of a cancelled job, or of a job whose
 * completion window has closed, is answered at once with a CANCELLED or EXPIRED error result, without inference. Any
 * other request goes to the capability with its job's {@link Withdrawal} in scope, so the tasks it becomes are
 * withdrawn from the pool queue if the job is cancelled or expires before they start.
 */
final class WithdrawnRequests {

    private WithdrawnRequests() {}

    /**
     * Like {@link CapabilityService#handle}, with the job's withdrawal applied; see the class comment.
     *
     * @param jobId the request's job id ({@link CapabilityService#requestFields}), or null
     */
    static CompletableFuture<Outcome> handle(
            JobGate gate, CapabilityService service, SpecificRecord request, String jobId, RequestContext context)
            throws PoolRejectedException {
        Withdrawal withdrawal = jobId == null ? null : gate.withdrawal(jobId);
        Withdrawal.Reason why = withdrawal == null ? null : withdrawal.reason();
        if (why != null) {
            return CompletableFuture.completedFuture(
                    service.errorResult(request, code(why.kind()), why.message(), false, context));
        }
        return Withdrawals.during(withdrawal, () -> service.handle(request, context));
    }

    static ErrorCode code(Withdrawal.Kind kind) {
        return kind == Withdrawal.Kind.CANCELLED ? ErrorCode.CANCELLED : ErrorCode.EXPIRED;
    }
}
