// Contacts screen: "select all on this page" ticks the row boxes too. The server does not
// depend on this: a ticked "select all" applies the action to every row of the page.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (box.id === "select-all") {
    document.querySelectorAll('#contact-results input[name="ids"]').forEach(function (row) {
      row.checked = box.checked;
    });
  } else if (box.name === "ids" && !box.checked) {
    var all = document.getElementById("select-all");
    if (all) all.checked = false;
  }
});
