package io.modelpool.worker.capability;

import io.modelpool.v1.RequestPriority;

/**
 * The one rule that turns a request's {@code priority} field into a pool priority class: {@code INTERACTIVE} is
 * class 0 (served first), {@code BULK} class 1; a request without the field set (older producers, or clients that
 * leave it to the default) is bulk when it carries a job id and interactive when it does not, since jobs are what
 * fill a fleet with work nobody waits on line by line.
 */
public final class RequestPriorities {
    /** The pool class of interactive work. */
    public static final int INTERACTIVE = 0;
    /** The pool class of bulk work. */
    public static final int BULK = 1;

    private RequestPriorities() {}

    /** The request's priority, by its field or, when unset, by whether it belongs to a job. */
    public static RequestPriority of(RequestFields request) {
        if (request.priority() != null) {
            return request.priority();
        }
        return request.jobId() != null ? RequestPriority.BULK : RequestPriority.INTERACTIVE;
    }

    /** The request's pool priority class: {@link #INTERACTIVE} or {@link #BULK}. */
    public static int poolClass(RequestFields request) {
        return of(request) == RequestPriority.INTERACTIVE ? INTERACTIVE : BULK;
    }
}
