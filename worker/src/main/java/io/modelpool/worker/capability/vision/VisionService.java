package io.modelpool.worker.capability.vision;

import io.modelpool.v1.Capability;
import io.modelpool.v1.ImageInput;
import io.modelpool.v1.Point;
import io.modelpool.v1.ResultError;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextLine;
import io.modelpool.v1.Timings;
import io.modelpool.v1.VisionPayload;
import io.modelpool.v1.VisionRequest;
import io.modelpool.v1.VisionResult;
import io.modelpool.worker.capability.CapabilityContext;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.capability.RequestFields;
import io.modelpool.worker.capability.image.ImageCheck;
import io.modelpool.worker.capability.image.ImageService;
import io.modelpool.worker.pool.ModelPool;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Answers {@link VisionRequest}s with the lines of text read from the image, in reading order, and the full
 * text joined with newlines. An image without text is an OK result with no lines. Request checks are
 * {@link ImageService}'s; the prompt is ignored by OCR models.
 */
final class VisionService extends ImageService<VisionRequest, VisionResult, OcrPage, OcrOutcome> {

    VisionService(
            ModelPool<OcrPage, OcrOutcome> pool, Set<String> models, CapabilityContext context, LongSupplier clock) {
        super(Capability.VISION, VisionRequest.class, pool, models, context, clock);
    }

    @Override
    protected RequestFields fields(VisionRequest r) {
        return new RequestFields(r.getId(), r.getJobId(), r.getModel(), r.getDeadline(), r.getPriority());
    }

    @Override
    protected ImageInput image(VisionRequest request) {
        return request.getImage();
    }

    @Override
    protected OcrPage task(String model, ImageCheck.Accepted image, long deadlineEpochMs) {
        return new OcrPage(image, deadlineEpochMs);
    }

    @Override
    protected Verdict verdict(int index, OcrOutcome outcome) {
        if (outcome instanceof OcrOutcome.Refused refused) {
            return fails(refused.code(), refused.message());
        }
        if (outcome instanceof OcrOutcome.Expired expired) {
            return expired(expired.deadlineEpochMs(), "before inference started");
        }
        return Verdict.DONE;
    }

    @Override
    protected VisionResult ok(
            VisionRequest request,
            List<OcrPage> tasks,
            List<OcrOutcome> outcomes,
            Timings timings,
            RequestContext context) {
        OcrOutcome.Read read = (OcrOutcome.Read) outcomes.get(0);
        List<TextLine> lines = new ArrayList<>(read.lines().size());
        StringBuilder full = new StringBuilder();
        for (OcrLine line : read.lines()) {
            List<Point> box = new ArrayList<>(4);
            for (int i = 0; i < 4; i++) {
                box.add(new Point(Math.round(line.quad()[2 * i]), Math.round(line.quad()[2 * i + 1])));
            }
            lines.add(new TextLine(line.text(), line.confidence(), box));
            if (full.length() > 0) {
                full.append('\n');
            }
            full.append(line.text());
        }
        return new VisionResult(
                request.getId(),
                request.getJobId(),
                request.getModel(),
                ResultStatus.OK,
                null,
                new VisionPayload(lines, full.toString()),
                timings,
                context.workerId());
    }

    @Override
    protected VisionResult error(VisionRequest request, ResultError error, Timings timings, RequestContext context) {
        return new VisionResult(
                request.getId(),
                request.getJobId(),
                request.getModel(),
                ResultStatus.ERROR,
                error,
                null,
                timings,
                context.workerId());
    }

    @Override
    protected void stamp(VisionResult result, String workerId, long endToEndMs) {
        result.setWorkerId(workerId);
        result.getTimings().setEndToEndMs(endToEndMs);
    }
}
