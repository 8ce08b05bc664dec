using Microsoft.Extensions.DependencyInjection;
using Platform.Services.Scheduler.Serving;

namespace Platform.Scheduler.Tests.Serving;

/// <summary>
/// Points the scheduler's scraping client at the in-process Inference host for <see cref="InferenceUnderTest.BaseUrl"/>;
/// any other URL goes out over real sockets.
/// </summary>
public sealed class InferenceRouting(InferenceUnderTest inference) : DelegatingHandler(new SocketsHttpHandler())
{
    private readonly HttpMessageInvoker _inference = new(inference.Server.CreateHandler());

    public static Action<IServiceCollection> For(InferenceUnderTest inference) => services =>
        services.AddHttpClient(InferenceScraper.ClientName).ConfigurePrimaryHttpMessageHandler(() => new InferenceRouting(inference));

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        request.RequestUri!.Host == new Uri(InferenceUnderTest.BaseUrl).Host
            ? _inference.SendAsync(request, cancellationToken)
            : base.SendAsync(request, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inference.Dispose();
        }
        base.Dispose(disposing);
    }
}
