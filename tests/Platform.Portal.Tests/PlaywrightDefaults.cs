using System.Runtime.CompilerServices;
using Microsoft.Playwright;

namespace Platform.Portal.Tests;

/// <summary>
/// Playwright's expectations wait 5 s by default. CI runs these browser tests on two cores beside the platform's
/// services, where a page that loads its data from the gateway after the Blazor circuit starts can take longer than
/// that without anything being wrong, so every expectation here waits up to 15 s (a longer wait is still stated
/// where an operation is known to be slow, such as ingestion or training).
/// </summary>
internal static class PlaywrightDefaults
{
    [ModuleInitializer]
    internal static void Apply() => Assertions.SetDefaultExpectTimeout(15_000);
}
