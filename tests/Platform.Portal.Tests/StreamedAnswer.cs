using Microsoft.Playwright;

namespace Platform.Portal.Tests;

/// <summary>
/// Proof that the playground's answer streams: every text the live answer element (<c>live-answer</c>,
/// shown only while the answer is still coming) had is recorded in the page — on each DOM change and
/// every 10 ms — and at least one must be a non-empty strict prefix of the final answer. An answer that
/// arrived in one piece (or an empty placeholder that was replaced) fails.
/// </summary>
public static class StreamedAnswer
{
    private const string Record = """
        () => {
          window.__liveAnswers = [];
          const conversation = document.querySelector('[data-testid=conversation]');
          const record = () => {
            const live = conversation.querySelectorAll('[data-testid=live-answer]');
            const last = live[live.length - 1];
            if (last) {
              window.__liveAnswers.push(last.innerText);
            }
          };
          new MutationObserver(record).observe(conversation, { childList: true, subtree: true, characterData: true });
          setInterval(record, 10);
        }
        """;

    /// <summary>Starts recording; call it before asking.</summary>
    public static Task StartRecordingAsync(IPage page) => page.EvaluateAsync(Record);

    /// <summary>The final answer (trimmed), after asserting that a strict, non-empty prefix of it was on the page first.</summary>
    public static async Task<string> AssertStreamedAsync(IPage page, ILocator answer)
    {
        var final = (await answer.GetByTestId("answer-text").InnerTextAsync()).Trim();
        Assert.NotEmpty(final);
        var seen = (await page.EvaluateAsync<string[]>("() => window.__liveAnswers")).Select(t => t.Trim()).Distinct().ToList();
        Assert.True(seen.Any(t => t.Length > 0 && t.Length < final.Length && final.StartsWith(t, StringComparison.Ordinal)),
            $"no part of the answer was on the page before all of it; final \"{final}\", seen while streaming: [{string.Join(" | ", seen.Select(t => $"\"{t}\""))}]");
        return final;
    }
}
