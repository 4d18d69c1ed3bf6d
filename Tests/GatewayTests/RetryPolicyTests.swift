import NIOHTTP1
import Testing

@testable import Gateway

@Suite struct RetryPolicyTests {
    @Test func idempotentMethodsAndKeyedPosts() {
        #expect(RetryPolicy.isIdempotent(.GET, headers: [:]))
        #expect(RetryPolicy.isIdempotent(.PUT, headers: [:]))
        #expect(RetryPolicy.isIdempotent(.DELETE, headers: [:]))
        #expect(!RetryPolicy.isIdempotent(.POST, headers: [:]))
        #expect(RetryPolicy.isIdempotent(.POST, headers: ["Idempotency-Key": "k"]))
        #expect(!RetryPolicy.isIdempotent(.PATCH, headers: [:]))
    }

    @Test func retryableStatusesAndRetryAfter() {
        #expect([500, 502, 503, 504].allSatisfy(RetryPolicy.isRetryableStatus))
        #expect(![200, 400, 404, 409, 422, 501].contains(where: RetryPolicy.isRetryableStatus))
        #expect(RetryPolicy.retryAfter("2") == .seconds(2))
        #expect(RetryPolicy.retryAfter("soon") == nil)
        #expect(RetryPolicy.retryAfter(nil) == nil)
    }
}
