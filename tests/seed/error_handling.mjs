// The JavaScript error-handling example that came with ccproxy's error contract (the one
// docs/errors.md documents), kept as it was written.
// tests/it/seed_examples.rs runs it against ccproxy with Node's fetch.

async function callCCProxy(messages) {
  try {
    const response = await fetch('http://localhost:3456/v1/messages', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        model: 'claude-3-sonnet',
        messages
      })
    });

    if (!response.ok) {
      const error = await response.json();
      switch (error.error?.code) {
        case 'rate_limit_exceeded':
          const retryAfter = error.error.details?.retry_after || 60;
          throw new Error(`Rate limited, retry after ${retryAfter}s`);
        case 'provider_unavailable':
          throw new Error('Provider temporarily unavailable');
        default:
          throw new Error(error.error?.message || 'Unknown error');
      }
    }

    return await response.json();
  } catch (error) {
    console.error('CCProxy error:', error.message);
    throw error;
  }
}

// Harness (not part of the example): the example's fixed `localhost:3456` is sent to the
// test's proxy instead (tests run in parallel on free ports), and the error it throws is
// printed on stdout for the test to check.
const realFetch = globalThis.fetch;
globalThis.fetch = (url, init) =>
  realFetch(String(url).replace('http://localhost:3456', process.env.CCPROXY_URL), init);

try {
  const message = await callCCProxy([{ role: 'user', content: 'Hello' }]);
  console.log(`answer: ${message.content?.[0]?.text}`);
} catch (error) {
  console.log(error.message);
}
