package io.modelpool.worker.capability.textembedding;

/**
 * One tokenised text, the pool task of the text-embedding capability.
 *
 * @param ids             token ids, special tokens included, at most the model's maximum length, unpadded
 * @param truncated       the text had more tokens than the model's maximum and was cut
 * @param deadlineEpochMs the request's deadline, or {@link Long#MAX_VALUE} for none
 */
public record EncodedText(long[] ids, boolean truncated, long deadlineEpochMs) {

    /** Tokens the model sees; the task's length for batching. */
    public int tokens() {
        return ids.length;
    }
}
