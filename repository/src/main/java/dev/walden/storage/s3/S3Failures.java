package dev.walden.storage.s3;

import java.io.IOException;
import java.io.InterruptedIOException;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Turns what the SDK throws into one-line {@link IOException}s that name the operation, the key
 * and what to check. The SDK has already retried transient errors by then, so what arrives here
 * is either permanent or out of attempts.
 */
final class S3Failures {
    private S3Failures() {
    }

    static IOException of(String operation, String key, S3Settings settings, SdkException e) {
        String where = "S3 " + operation + " of '" + key + "' in " + settings.describe();
        if (e instanceof AbortedException && Thread.currentThread().isInterrupted()) {
            InterruptedIOException interrupted = new InterruptedIOException(where + " was interrupted");
            interrupted.initCause(e);
            return interrupted;
        }
        return new IOException(where + " failed: " + reason(e, settings), e);
    }

    static String reason(SdkException e, S3Settings settings) {
        if (e instanceof S3Exception s3) {
            int status = s3.statusCode();
            String code = s3.awsErrorDetails() == null ? "" : s3.awsErrorDetails().errorCode();
            String detail = status + (code == null || code.isEmpty() ? "" : " " + code);
            if ("NoSuchBucket".equals(code)) {
                return "bucket '" + settings.bucket() + "' does not exist (" + detail + "): check repository.s3.bucket, "
                        + "repository.s3.region and repository.s3.endpoint; walden never creates buckets";
            }
            if ("InvalidAccessKeyId".equals(code) || "SignatureDoesNotMatch".equals(code)) {
                return "the credentials were refused (" + detail + "): check AWS_ACCESS_KEY_ID and "
                        + "AWS_SECRET_ACCESS_KEY, or the profile or role the SDK picked up";
            }
            if (status == 403) {
                return "access denied (" + detail + "): check that the IAM policy of the credentials the SDK found "
                        + "allows this on the bucket and prefix (docs/s3.md lists the minimal policy)";
            }
            if (status == 501) {
                return "the store does not implement this request (" + detail + "): walden needs an S3-compatible "
                        + "store with multipart uploads and DeleteObjects";
            }
            if (status >= 500 || status == 429) {
                return detail + " after " + settings.attempts() + " attempt(s): the store is failing or throttling; "
                        + "walden retries with backoff, PostgreSQL retries the file later";
            }
            return detail + ": " + firstLine(s3.awsErrorDetails() == null ? s3.getMessage()
                    : s3.awsErrorDetails().errorMessage());
        }
        if (e instanceof ApiCallAttemptTimeoutException || e instanceof ApiCallTimeoutException) {
            return "no answer within repository.s3.timeout (" + settings.timeout().toSeconds() + " s) in "
                    + settings.attempts() + " attempt(s): the store is stalled or unreachable";
        }
        if (e instanceof SdkClientException && e.getMessage() != null
                && e.getMessage().contains("Unable to load credentials")) {
            return "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run with "
                    + "an instance or web identity role (walden never reads credentials from its config file)";
        }
        return firstLine(e.getMessage()) + (settings.endpoint().map(u -> " (endpoint " + u + ")").orElse(""));
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unknown error";
        }
        String line = message.strip().lines().findFirst().orElse("unknown error");
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }
}
