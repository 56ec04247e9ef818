using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Witness.Server.Http;

/// <summary>
/// The problem+json of an error no endpoint expected (answered by the exception handler): the shape
/// <see cref="Problems"/> writes, with the trace id that finds the error in the server's log, and
/// nothing of the exception itself.
/// </summary>
internal static class UnexpectedErrors
{
    public static void Describe(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var status = problem.Status ?? StatusCodes.Status500InternalServerError;
        problem.Type = $"https://witness.dev/problems/{status}";
        problem.Instance ??= context.HttpContext.Request.Path;
        if (status == StatusCodes.Status500InternalServerError)
        {
            problem.Title = "Unexpected error";
            problem.Detail ??= "The server could not complete the request; the trace id names it in the server's log.";
        }

        problem.Extensions["traceId"] = Activity.Current?.Id ?? context.HttpContext.TraceIdentifier;
    }
}
