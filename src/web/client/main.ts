const root = document.getElementById("app")
if (root !== null) root.textContent = "Tidemark"
