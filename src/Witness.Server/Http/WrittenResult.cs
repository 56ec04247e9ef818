using Microsoft.AspNetCore.Http;

namespace Witness.Server.Http;

/// <summary>A result whose body is written by a delegate, for responses streamed from stored bytes.</summary>
internal sealed class WrittenResult(int status, Func<HttpResponse, Task> write) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = status;
        return write(httpContext.Response);
    }
}
