import HTTPTypes
import Testing

@testable import Gateway

@Suite struct RetryPolicyTests {
    @Test func idempotentMethodsAndKeyedPosts() {
        #expect(RetryPolicy.isIdempotent(.get, headers: [:]))
        #expect(RetryPolicy.isIdempotent(.put, headers: [:]))
        #expect(RetryPolicy.isIdempotent(.delete, headers: [:]))
        #expect(!RetryPolicy.isIdempotent(.post, headers: [:]))
        #expect(RetryPolicy.isIdempotent(.post, headers: [.idempotencyKey: "k"]))
        #expect(!RetryPolicy.isIdempotent(.patch, headers: [:]))
    }

    @Test func retryableStatusesAndRetryAfter() {
        #expect([500, 502, 503, 504].allSatisfy(RetryPolicy.isRetryableStatus))
        #expect(![200, 400, 404, 409, 422, 501].contains(where: RetryPolicy.isRetryableStatus))
        #expect(RetryPolicy.retryAfter("2") == .seconds(2))
        #expect(RetryPolicy.retryAfter("soon") == nil)
        #expect(RetryPolicy.retryAfter(nil) == nil)
    }
}
