package dev.safeguard.admission;

import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** POST /validate: AdmissionReview admission.k8s.io/v1 in, AdmissionReview out. */
@Path("/validate")
public class ValidateResource {

    private final AdmissionReviewReader reader;
    private final AdmissionHandler handler;

    public ValidateResource(AdmissionReviewReader reader, AdmissionHandler handler) {
        this.reader = reader;
        this.handler = handler;
    }

    /**
     * Runs on a worker thread, not the I/O thread: deciding is in-memory CPU work of microseconds, but an
     * owner the informer has not delivered yet is looked up with one bounded GET (see
     * InformerRelatedObjects), and a slow review must never stall every other connection of its event loop.
     */
    @POST
    @Blocking
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Response validate(byte[] body) {
        AdmissionRequest request;
        try {
            request = reader.read(body);
        } catch (BadAdmissionReviewException e) {
            return Response.status(Response.Status.BAD_REQUEST)
                    .type(MediaType.TEXT_PLAIN_TYPE)
                    .entity("kube-safeguard: " + e.getMessage() + "\n")
                    .build();
        }
        AdmissionReview review = handler.handle(request);
        return Response.ok(review, MediaType.APPLICATION_JSON_TYPE).build();
    }
}
